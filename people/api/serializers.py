"""Partner view of a contact: identity and address only. Cross-workspace aggregates (lifetime
value, conversion counts, which workspace sent or converted it) are not shown to partners."""
from rest_framework import serializers

from contacts.models import Contact


class ContactLeadSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    lead_type = serializers.CharField()
    status = serializers.CharField(source="seen_status")  # the caller's own (leads.selectors.lead_list)
    workspace_status = serializers.CharField(source="seen_workspace_status")
    workspace_assigned_at = serializers.DateTimeField(source="seen_workspace_assigned_at", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ContactSerializer(serializers.ModelSerializer):
    leads = ContactLeadSerializer(source="visible_leads", many=True, read_only=True)

    class Meta:
        model = Contact
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "address",
            "address2",
            "city",
            "state",
            "zip_code",
            "created_at",
            "updated_at",
            "leads",
        ]
        read_only_fields = fields

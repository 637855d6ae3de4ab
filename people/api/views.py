"""`GET /api/v1/contacts/` and `/api/v1/contacts/{id}/` (scope `contacts:read`)."""
from rest_framework import viewsets

from contacts.filters import ContactFilterSet
from leads.selectors import contact_list
from people.api.serializers import ContactSerializer
from workspaces.api.partner import PartnerAPIMixin


class ContactViewSet(PartnerAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    ordering_fields = ("id", "created_at", "updated_at")
    required_scopes = {"list": "contacts:read", "retrieve": "contacts:read"}
    required_permissions = {"list": "contacts.view_contact", "retrieve": "contacts.view_contact"}

    def get_queryset(self):
        return contact_list(workspace=self.caller_workspace())

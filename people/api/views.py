"""`GET /api/v1/contacts/` and `/api/v1/contacts/{id}/` (scope `contacts:read`)."""
from rest_framework import viewsets

from contacts.filters import ContactFilterSet
from leadhub.api.views import PartnerAPIMixin
from leads.selectors import contact_list
from people.api.serializers import ContactSerializer


class ContactViewSet(PartnerAPIMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    required_scopes = {"list": "contacts:read", "retrieve": "contacts:read"}

    def get_queryset(self):
        return contact_list(workspace=self.caller_workspace())

"""Partner API contact filters."""
import django_filters

from contacts.models import Contact
from leadhub.api.filters import PartnerFilterSet


class ContactFilterSet(PartnerFilterSet):
    state = django_filters.CharFilter(lookup_expr="iexact")
    zip_code = django_filters.CharFilter()

    class Meta:
        model = Contact
        fields = {"created_at": ["gte", "lte"], "updated_at": ["gte", "lte"]}

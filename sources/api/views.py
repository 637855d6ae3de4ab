"""The provider read API under /api/v1/provider/: a lead source's own leads and their disposition.

`ProviderAPIMixin` is the partner base's counterpart for sources: the provider's key (required),
a per-provider throttle like the partner API's, cursor pages, unknown query parameters refused,
no-store answers; tenancy is `provider_leads(provider=<the caller>)`, so another provider's lead
is a 404 like one that does not exist.
"""
from datetime import UTC, datetime, time, timedelta

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.api.serializers import SourceStatementDetailSerializer, SourceStatementSerializer
from billing.api.views import StatementCursorPagination
from billing.models import PartyKind
from billing.selectors import statement_view, statements_of

from leadhub.api.filters import DatabaseSafeFilterBackend
from leadhub.api.pagination import IdCursorPagination
from leads.models import Lead
from leadhub.api.throttles import WorkspaceRateThrottle
from sources.api.authentication import ProviderKeyAuthentication
from sources.api.serializers import ProviderLeadSerializer
from sources.selectors import lead_return_reason_codes, provider_lead_disposition_filter, provider_leads
from workspaces.api.partner import TokenAPIMixin

DISPOSITIONS = ("accepted", "held", "sold", "unsold", "returned")


class IsProvider(permissions.BasePermission):
    def has_permission(self, request, view):
        return getattr(request.user, "provider", None) is not None


class ProviderRateThrottle(WorkspaceRateThrottle):
    """The partner API's throttle, counted per provider (DEFAULT_THROTTLE_RATES["provider"])."""

    scope = "provider"

    def caller(self, request):
        provider = getattr(request.user, "provider", None)
        return None if provider is None else (f"provider:{provider.pk}", None)


class ProviderAPIMixin(TokenAPIMixin):
    authentication_classes = [ProviderKeyAuthentication]
    permission_classes = [IsProvider]
    throttle_classes = [ProviderRateThrottle]
    pagination_class = IdCursorPagination

    def caller_provider(self):
        return self.request.user.provider


class ProviderLeadFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(method="filter_date", label="The UTC day the lead was received (YYYY-MM-DD)")
    webhook = django_filters.CharFilter(field_name="webhook_id")
    disposition = django_filters.ChoiceFilter(choices=[(d, d) for d in DISPOSITIONS], method="filter_disposition")

    def filter_date(self, queryset, name, value):
        start = datetime.combine(value, time.min, tzinfo=UTC)
        return queryset.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))

    def filter_disposition(self, queryset, name, value):
        return queryset.filter(provider_lead_disposition_filter(value))


@extend_schema(tags=["provider"])
class ProviderLeadViewSet(ProviderAPIMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own leads, newest first, each with what became of it: accepted, held (the
    hold's reason codes), sold, returned (with the reason code), payout and chargebacks."""

    serializer_class = ProviderLeadSerializer
    filter_backends = [DatabaseSafeFilterBackend]
    filterset_class = ProviderLeadFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no caller, no rows
            return Lead.objects.none()
        return provider_leads(provider=self.caller_provider())

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "return_reasons": self._return_reasons}

    _return_reasons: dict = {}

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._return_reasons = lead_return_reason_codes(lead_ids=[lead.pk for lead in page if lead.returned])
        return page

    def get_object(self):
        lead = super().get_object()
        self._return_reasons = lead_return_reason_codes(lead_ids=[lead.pk] if lead.returned else [])
        return lead


class ProviderStatementListView(ProviderAPIMixin, generics.ListAPIView):
    """The caller's closed statements (weekly and monthly, in the provider's `time_zone`), newest
    first: payouts, chargebacks, net."""

    serializer_class = SourceStatementSerializer
    pagination_class = StatementCursorPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return statements_of(party_kind=PartyKind.SOURCE, party_id=None).none()
        return statements_of(party_kind=PartyKind.SOURCE, party_id=self.caller_provider().provider_id)


class ProviderStatementDetailView(ProviderAPIMixin, APIView):
    """One statement by its period (`2026-W49`, `2026-12`) with its lines; the running period
    answers its figures so far (`status` `open`)."""

    @extend_schema(responses={200: SourceStatementDetailSerializer})
    def get(self, request, period):
        view = statement_view(party_kind=PartyKind.SOURCE, party_id=self.caller_provider().provider_id, period=period)
        if view is None:
            raise NotFound("No such statement: name a closed week or month of yours, or the running one.")
        return Response(SourceStatementDetailSerializer(view.statement, context={"lines": view.lines}).data)

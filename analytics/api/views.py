"""KPI endpoints under /api/v1/analytics/ (`analytics:read`; staff see every workspace).

Each answer is cached per caller and query in `conversion_analytics_cache` for
ANALYTICS_CACHE_TTL_SECONDS; `cached` in the body tells whether it came from there.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api.serializers import (
    FIRST_DAY,
    LAST_DAY,
    GeographyQuerySerializer,
    KpiQuerySerializer,
    MarginQuerySerializer,
)
from analytics.margin import MARGIN_DIMENSIONS, MARGIN_FRESH_SECONDS, margin_by, return_rates
from analytics.services import analytics_cached
from leadhub.api.exceptions import MalformedRequest
from workspaces.api.partner import PartnerAPIMixin
from workspaces.selectors import workspace_get

RANGE_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE,
                     description=f"First UTC day (default: 29 days before `to`); {FIRST_DAY} to {LAST_DAY}."),
    OpenApiParameter("to", OpenApiTypes.DATE,
                     description=f"Last UTC day, inclusive (default: today); {FIRST_DAY} to {LAST_DAY}."),
    OpenApiParameter("workspace", OpenApiTypes.STR, description="Staff only: one workspace instead of all."),
]


class KpiView(PartnerAPIMixin, APIView):
    required_scopes = {"GET": "analytics:read"}
    required_permissions = {"GET": "analytics.view_leadanalytics"}
    pagination_class = None
    query_serializer = KpiQuerySerializer
    kpi = ""
    selector = None
    # Seconds an answer may be served from the cache (None: ANALYTICS_CACHE_TTL_SECONDS); a KPI
    # that sets it says `as_of`, the time its figures were computed.
    fresh_seconds = None

    def scope_workspace_id(self, requested):
        """The caller's own workspace; staff: all (None) or the one they ask for."""
        workspace = self.caller_workspace()
        if workspace is not None:
            if requested and requested != workspace.pk:
                raise MalformedRequest({"workspace": ["Only staff may choose a workspace."]})
            return workspace.pk
        return workspace_get(workspace_id=requested).pk if requested else None

    def get(self, request):
        query = self.query_serializer(data=request.query_params)
        if not query.is_valid():
            raise MalformedRequest(query.errors)
        options = dict(query.validated_data)
        workspace_id = self.scope_workspace_id(options.pop("workspace", None))
        date_from, date_to = options.pop("from"), options.pop("to")
        caller = f"ws:{workspace_id}" if self.caller_workspace() is not None else "ops"
        params = {"workspace": workspace_id, "from": date_from, "to": date_to, **options}
        def compute():
            figures = self.figures(workspace_id=workspace_id, date_from=date_from, date_to=date_to, **options)
            return figures if self.fresh_seconds is None else {"as_of": timezone.now().isoformat(), "results": figures}

        data, cached = analytics_cached(kpi=self.kpi, caller=caller, params=params, compute=compute,
                                        ttl_seconds=self.fresh_seconds)
        dated = {} if self.fresh_seconds is None else {"as_of": data["as_of"]}
        results = data if self.fresh_seconds is None else data["results"]
        return Response(
            {"kpi": self.kpi, "from": date_from, "to": date_to, "workspace": workspace_id, **dated, "cached": cached,
             "results": results}
        )

    def figures(self, **query):
        return self.selector(**query)


GEOGRAPHY_PARAMETERS = RANGE_PARAMETERS + [
    OpenApiParameter("group", OpenApiTypes.STR, enum=["state", "zip"], description="Default: state."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Top N areas by revenue (1–1000, default 100)."),
]


def documented(summary, parameters=RANGE_PARAMETERS):
    return extend_schema(parameters=parameters, responses=OpenApiTypes.OBJECT, summary=summary)


class ContactLeadRatioView(KpiView):
    kpi, selector = "contact-lead-ratio", staticmethod(selectors.contact_lead_ratio)

    @documented("Leads per contact, overall and per lead type.")
    def get(self, request):
        return super().get(request)


class AppointmentConversionView(KpiView):
    kpi, selector = "appointment-conversion", staticmethod(selectors.appointment_conversion)

    @documented("Appointments followed by a conversion of the same contact, overall and per type.")
    def get(self, request):
        return super().get(request)


class ProviderPerformanceView(KpiView):
    kpi, selector = "providers", staticmethod(selectors.provider_performance)

    @documented("Leads, rejected submissions, conversion rate and revenue per provider.")
    def get(self, request):
        return super().get(request)


class WorkspaceEfficiencyView(KpiView):
    kpi, selector = "workspaces", staticmethod(selectors.workspace_efficiency)

    @documented("Revenue, conversions, median and mean time to conversion per workspace.")
    def get(self, request):
        return super().get(request)


class GeographyView(KpiView):
    kpi, selector = "geography", staticmethod(selectors.geographic_performance)
    query_serializer = GeographyQuerySerializer

    @documented("Leads, conversion rate and revenue by state or ZIP.", GEOGRAPHY_PARAMETERS)
    def get(self, request):
        return super().get(request)


class DailySeriesView(KpiView):
    kpi, selector = "daily", staticmethod(selectors.daily_series)

    @documented("Leads, conversions and revenue per UTC day and lead type.")
    def get(self, request):
        return super().get(request)


class FunnelView(KpiView):
    kpi, selector = "funnel", staticmethod(selectors.pipeline_funnel)

    @documented("Leads through the configured pipeline stages to appointment and conversion.")
    def get(self, request):
        return super().get(request)


class BuyerSalesView(KpiView):
    kpi, selector = "buyers", staticmethod(selectors.buyer_offer_sales)

    @documented("Per buyer and offer: leads sold, sales (ledger), cap usage per window, verdicts by reason.")
    def get(self, request):
        return super().get(request)


class StaffOnlyKpiView(KpiView):
    """A KPI of ops' own figures: refused to every workspace, answered over every buyer."""

    refused = ""  # what a workspace is told

    def scope_workspace_id(self, requested):
        if self.caller_workspace() is not None or requested:
            raise PermissionDenied(self.refused)
        return None


class WebhookSalesView(StaffOnlyKpiView):
    # Sources' payouts and our margin are ops figures.
    kpi, selector = "webhooks", staticmethod(selectors.webhook_sales)
    refused = "Per-webhook sales, payouts and margin are for staff only."

    @documented("Per webhook (staff only): sold and unsold leads, sales, payouts and margin (ledger).")
    def get(self, request):
        return super().get(request)


class ComplianceCountsView(StaffOnlyKpiView):
    # Refused posts and held leads reached no buyer: they are sources' figures.
    kpi, selector = "compliance", staticmethod(selectors.compliance_counts)
    refused = "Compliance refusals and holds per webhook are for staff only."

    @documented("Per UTC day and webhook (staff only): posts refused and holds placed, by compliance reason.")
    def get(self, request):
        return super().get(request)


MARGIN_PARAMETERS = RANGE_PARAMETERS[:2] + [
    OpenApiParameter("by", OpenApiTypes.STR, enum=sorted(MARGIN_DIMENSIONS), description="Default: source."),
]


class MarginView(StaffOnlyKpiView):
    """Never older than MARGIN_FRESH_SECONDS: ops decide on these figures, so the cache only
    spares the database a burst of the same question."""

    kpi, query_serializer, fresh_seconds = "margin", MarginQuerySerializer, MARGIN_FRESH_SECONDS
    refused = "Margin by source, webhook, sub-source, buyer, lead type and day is for staff only."

    def figures(self, *, workspace_id, by, **query):
        return margin_by(by=by, **query)

    @documented("Staff only: sales − credits, payouts − chargebacks, margin and margin % per (dimension, UTC day), "
                "from the ledger's entries.", MARGIN_PARAMETERS)
    def get(self, request):
        return super().get(request)


class ReturnRateView(StaffOnlyKpiView):
    kpi, fresh_seconds = "return-rate", MARGIN_FRESH_SECONDS
    refused = "Return rates by source are for staff only."

    def figures(self, *, workspace_id, **query):
        return return_rates(**query)

    @documented("Staff only: leads sold and returned per source, the return rate, and returns by reason code.",
                RANGE_PARAMETERS[:2])
    def get(self, request):
        return super().get(request)

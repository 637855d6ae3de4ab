"""`/api/v1/offers/`: a workspace reads the offers it buys by and pauses or resumes one;
`/api/v1/workspace/sales/`: what it bought; `/api/v1/leads/{id}/assign/`: staff sell a lead by hand."""
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from distribution.hand import lead_sell_by_hand
from distribution.selectors import offers_caps_now, offers_visible_to, sales_visible_to
from distribution.services import offer_pause, offer_resume
from leads.models import Lead
from workspaces.models import Workspace
from leadhub.api.pagination import IdCursorPagination
from workspaces.api.partner import PartnerAPIMixin

from .filters import SaleFilterSet
from .serializers import HandSaleSerializer, OfferSerializer, SaleSerializer


class OfferListView(PartnerAPIMixin, generics.ListAPIView):
    """The caller's offers (its own configuration: any key may read it), with prices and caps."""

    serializer_class = OfferSerializer
    required_scopes = {"GET": None}
    required_permissions = {"GET": "distribution.view_offer"}

    def get_queryset(self):
        return offers_visible_to(workspace=self.caller_workspace())

    def paginate_queryset(self, queryset):
        return offers_caps_now(super().paginate_queryset(queryset), at=timezone.now())


class OfferDetailView(PartnerAPIMixin, generics.RetrieveAPIView):
    serializer_class = OfferSerializer
    required_scopes = {"GET": None}
    required_permissions = {"GET": "distribution.view_offer"}

    def get_queryset(self):
        return offers_visible_to(workspace=self.caller_workspace())

    def get_object(self):
        return offers_caps_now([super().get_object()], at=timezone.now())[0]


class _OfferSwitchView(PartnerAPIMixin, APIView):
    required_scopes = {"POST": "offers:write"}
    required_permissions = {"POST": "distribution.change_offer"}
    service = None

    @extend_schema(request=None, responses={200: OfferSerializer})
    def post(self, request, pk):
        offer = get_object_or_404(offers_visible_to(workspace=self.caller_workspace()), pk=pk)
        offer = type(self).service(offer=offer)
        switched = offers_caps_now([offers_visible_to(workspace=None).get(pk=offer.pk)], at=timezone.now())[0]
        return Response(OfferSerializer(switched).data)


class OfferPauseView(_OfferSwitchView):
    """`POST /api/v1/offers/{id}/pause/`: the offer takes no leads until resumed."""

    service = staticmethod(offer_pause)


class OfferResumeView(_OfferSwitchView):
    """`POST /api/v1/offers/{id}/resume/`."""

    service = staticmethod(offer_resume)


class SaleCursorPagination(IdCursorPagination):
    ordering = "-sold_at"


class SaleListView(PartnerAPIMixin, generics.ListAPIView):
    """The leads your workspace bought: price, whether exclusive, which offer and when; newest first."""

    serializer_class = SaleSerializer
    filterset_class = SaleFilterSet
    pagination_class = SaleCursorPagination
    required_scopes = {"GET": "leads:read"}
    required_permissions = {"GET": "distribution.view_sale"}

    def get_queryset(self):
        return sales_visible_to(workspace=self.caller_workspace())


class LeadAssignView(PartnerAPIMixin, APIView):
    """`POST /api/v1/leads/{id}/assign/` (staff only): assign the lead to `workspace_id` by hand,
    which sells it to that buyer at its best eligible offer's price or at `price` (0 needs a
    `reason`); 201 with the sale. A full cap answers 409 `cap_full` naming it; a held lead 409
    `lead_held`. API keys may not assign leads."""

    required_scopes = {}
    required_permissions = {"POST": "leads.change_lead"}

    @extend_schema(request=HandSaleSerializer, responses={201: SaleSerializer})
    def post(self, request, pk):
        body = HandSaleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        lead = get_object_or_404(Lead.objects.all(), pk=pk)
        data = body.validated_data
        workspace = Workspace.objects.filter(pk=data["workspace_id"]).first()
        if workspace is None:
            raise ValidationError({"workspace_id": [f"No workspace '{data['workspace_id']}'."]})
        sale = lead_sell_by_hand(lead=lead, workspace=workspace, by=self.actor(), price=data.get("price"),
                                 reason=data.get("reason", ""))
        return Response(SaleSerializer(sale).data, status=status.HTTP_201_CREATED)

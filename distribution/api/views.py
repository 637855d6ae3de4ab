"""`/api/v1/offers/`: a workspace reads the offers it buys by and pauses or resumes one."""
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from distribution.selectors import offers_visible_to
from distribution.services import offer_pause, offer_resume
from workspaces.api.partner import PartnerAPIMixin

from .serializers import OfferSerializer


class OfferListView(PartnerAPIMixin, generics.ListAPIView):
    """The caller's offers (its own configuration: any key may read it)."""

    serializer_class = OfferSerializer
    required_scopes = {"GET": None}
    required_permissions = {"GET": "distribution.view_offer"}

    def get_queryset(self):
        return offers_visible_to(workspace=self.caller_workspace())


class OfferDetailView(PartnerAPIMixin, generics.RetrieveAPIView):
    serializer_class = OfferSerializer
    required_scopes = {"GET": None}
    required_permissions = {"GET": "distribution.view_offer"}

    def get_queryset(self):
        return offers_visible_to(workspace=self.caller_workspace())


class _OfferSwitchView(PartnerAPIMixin, APIView):
    required_scopes = {"POST": "offers:write"}
    required_permissions = {"POST": "distribution.change_offer"}
    service = None

    @extend_schema(request=None, responses={200: OfferSerializer})
    def post(self, request, pk):
        offer = get_object_or_404(offers_visible_to(workspace=self.caller_workspace()), pk=pk)
        offer = type(self).service(offer=offer)
        return Response(OfferSerializer(offers_visible_to(workspace=None).get(pk=offer.pk)).data)


class OfferPauseView(_OfferSwitchView):
    """`POST /api/v1/offers/{id}/pause/`: the offer takes no leads until resumed."""

    service = staticmethod(offer_pause)


class OfferResumeView(_OfferSwitchView):
    """`POST /api/v1/offers/{id}/resume/`."""

    service = staticmethod(offer_resume)

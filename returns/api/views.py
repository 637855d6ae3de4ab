"""`POST /api/v1/leads/{id}/return/`: a buyer returns a lead it bought; `GET /api/v1/returns/`:
its returns and their state."""
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from returns.selectors import returnable_sale, returns_visible_to
from returns.services import return_request
from workspaces.api.partner import PartnerAPIMixin

from .serializers import ReturnRequestSerializer, ReturnSerializer


class LeadReturnView(PartnerAPIMixin, APIView):
    """Return a lead you bought, with a `reason` code and a `note`: 201 with the return (`approved`
    at once when leadhub verifies the reason, else `requested` for ops). Past the offer's return
    window, or over its return cap, 409 naming the limit (`return_window_closed`,
    `return_cap_reached`); a second return of one sale 409 `already_returned`. A lead you did not
    buy is 404. Staff name the buyer: `?workspace=<id>`."""

    required_scopes = {"POST": "returns:write"}
    required_permissions = {"POST": "returns.add_return"}

    @extend_schema(request=ReturnRequestSerializer, responses={201: ReturnSerializer}, tags=["returns"])
    def post(self, request, pk):
        body = ReturnRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        sale = returnable_sale(lead_id=pk, workspace=self.acting_workspace())
        if sale is None:
            raise Http404
        ret = return_request(sale=sale, by=self.actor(), **body.validated_data)
        return Response(ReturnSerializer(ret).data, status=status.HTTP_201_CREATED)


class ReturnListView(PartnerAPIMixin, generics.ListAPIView):
    """Your returns, newest first, each with its state."""

    serializer_class = ReturnSerializer
    required_scopes = {"GET": "returns:read"}
    required_permissions = {"GET": "returns.view_return"}

    def get_queryset(self):
        return returns_visible_to(workspace=self.caller_workspace())

    @extend_schema(tags=["returns"])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

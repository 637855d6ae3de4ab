"""The caller's balance (partner API)."""
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from ledger.api.serializers import BalanceSerializer
from ledger.selectors import balance_get
from workspaces.api.partner import PartnerAPIMixin


class BalanceView(PartnerAPIMixin, APIView):
    """The caller's billing mode, balance, credit limit, available funds and low-balance
    threshold; staff name a workspace with `?workspace=<id>`."""

    required_scopes = {"GET": "billing:read"}
    required_permissions = {"GET": "ledger.view_entry"}

    @extend_schema(responses=BalanceSerializer, operation_id="workspace_balance_retrieve")
    def get(self, request):
        return Response(BalanceSerializer(balance_get(workspace=self.acting_workspace())).data)

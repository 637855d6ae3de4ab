"""`/api/v1/workspace/statements/`: the caller's closed statements (weekly and monthly, newest
first); `/api/v1/workspace/statements/{period}/`: one with its lines, `{period}` an ISO week
(`2026-W49`) or a month (`2026-12`) of the workspace's zone; the running period, not closed yet,
answers its figures so far with `status` `open`."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.selectors import statement_view, statements_of
from leadhub.api.pagination import IdCursorPagination
from workspaces.api.partner import PartnerAPIMixin

from .serializers import StatementDetailSerializer, StatementSerializer


class StatementCursorPagination(IdCursorPagination):
    ordering = "-starts_at"


class StatementListView(PartnerAPIMixin, generics.ListAPIView):
    serializer_class = StatementSerializer
    pagination_class = StatementCursorPagination
    required_scopes = {"GET": "billing:read"}
    required_permissions = {"GET": "billing.view_statement"}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return statements_of(party_id=None).none()
        return statements_of(party_id=self.acting_workspace().pk)


class StatementDetailView(PartnerAPIMixin, APIView):
    required_scopes = {"GET": "billing:read"}
    required_permissions = {"GET": "billing.view_statement"}

    @extend_schema(responses={200: StatementDetailSerializer})
    def get(self, request, period):
        view = statement_view(party_id=self.acting_workspace().pk, period=period)
        if view is None:
            # Digit-free: the answer must not echo a period (or any id) back.
            raise NotFound("No such statement: name a closed week or month of yours, or the running one.")
        return Response(StatementDetailSerializer(view.statement, context={"lines": view.lines}).data)

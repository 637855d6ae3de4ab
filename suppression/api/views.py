"""`/api/v1/suppressions/`: a workspace reports its consumers' opt-outs and lists its own reports."""
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from suppression.selectors import opt_outs_reported_by
from suppression.services import opt_out_report
from workspaces.api.partner import PartnerAPIMixin

from .serializers import OptOutSerializer


class OptOutListView(PartnerAPIMixin, generics.ListCreateAPIView):
    """GET: the caller's own opt-out reports, newest first. POST `{"phone"|"email", "reason"}`: the
    consumer may not be contacted by the caller again, nor by any buyer when the caller bought the
    number; 201 with the report, 200 when it was reported before."""

    serializer_class = OptOutSerializer
    required_scopes = {"GET": "suppressions:read", "POST": "suppressions:write"}
    required_permissions = {"GET": "suppression.view_suppressionentry", "POST": "suppression.add_suppressionentry"}

    def get_queryset(self):
        return opt_outs_reported_by(workspace=self.caller_workspace())

    @extend_schema(responses={201: OptOutSerializer, 200: OptOutSerializer})
    def post(self, request, *args, **kwargs):
        body = OptOutSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        entry, created = opt_out_report(workspace=self.acting_workspace(), by=self.actor(), **body.validated_data)
        return Response(OptOutSerializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

"""The partner lead API (`/api/v1/leads/`): workspaces read, refer and work their leads."""
from django.http import QueryDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from leadhub.api.exceptions import MalformedRequest
from leadhub.api.schema import error_response
from leadhub.middleware import client_ip
from leads.api.serializers import partner as serializers
from leads.api.serializers.webhook import LeadWebhookSuccessSerializer, ingest_result_body
from leads.compliance_record import lead_compliance_record
from leads.filters import LeadFilterSet
from leads.selectors import lead_activity_list, lead_list, lead_timeline
from leads.services.ingest import lead_refer
from leads.services.working import lead_activity_add, lead_patch
from workspaces.api.partner import PartnerAPIMixin


class PartnerLeadViewSet(PartnerAPIMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Leads that reached the calling workspace (all leads for staff): assigned, routed by an
    appointment, forwarded or sold to it, for as long as its access lasts.

    `?search=` matches a phone in any format, an email or a name. Invalid status → 422 with the
    allowed values.
    """

    serializer_class = serializers.PartnerLeadSerializer
    filterset_class = LeadFilterSet
    ordering_fields = ("id", "created_at", "updated_at")
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {
        "list": "leads:read",
        "retrieve": "leads:read",
        "timeline": "leads:read",
        "compliance": "leads:read",
        "activities:GET": "leads:read",
        "activities:POST": "leads:write",
        "create": "leads:write",
        "partial_update": "leads:write",
    }
    required_permissions = {
        "list": "leads.view_lead",
        "retrieve": "leads.view_lead",
        "timeline": "leads.view_lead",
        "compliance": "leads.view_lead",
        "activities:GET": "leads.view_leadactivity",
        "activities:POST": "leads.add_leadactivity",
        "create": "leads.add_lead",
        "partial_update": "leads.change_lead",
    }

    def get_queryset(self):
        return lead_list(workspace=self.caller_workspace())

    @extend_schema(
        request=dict,
        responses={
            201: LeadWebhookSuccessSerializer,
            200: LeadWebhookSuccessSerializer,
            409: error_response("Your reference (`external_id`) was already received with other values."),
        },
        summary="Refer a lead (send one in)",
        description=(
            "Same body, validation and dedup as the provider webhook; lands on this workspace's own "
            "inbound webhook for the lead's `lead_type` (required). The sender does not see the lead "
            "afterwards unless it is assigned to it. Your own reference for the lead is kept as "
            "`external_id`: the same one with the same values answers 200 with the original ids; 422 lists "
            "field errors, 409 the fields that differ from the lead already sent with that reference."
        ),
    )
    def create(self, request):
        workspace = self.acting_workspace()
        payload = request.data.dict() if isinstance(request.data, QueryDict) else request.data
        if not isinstance(payload, dict):
            raise MalformedRequest({"non_field_errors": ["Send one lead as a JSON object."]})
        result = lead_refer(
            workspace=workspace,
            payload=payload,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        )
        body = ingest_result_body(result)
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)

    @extend_schema(
        request=serializers.PartnerLeadPatchSerializer,
        responses={
            200: serializers.PartnerLeadSerializer,
            422: error_response("Invalid values; a status not allowed also lists `allowed`, the statuses it may take."),
        },
    )
    def partial_update(self, request, pk=None):
        lead = self.get_object()
        patch = serializers.PartnerLeadPatchSerializer(data=request.data)
        patch.is_valid(raise_exception=True)
        lead = lead_patch(lead=lead, changed_by=self.actor(), workspace=self.caller_workspace(), **patch.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=lead.pk)).data)

    @extend_schema(responses=serializers.TimelineSerializer)
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        """Events, status history, activities, appointments and conversions, oldest first."""
        lead = self.get_object()
        items = lead_timeline(lead=lead, workspace=self.caller_workspace())
        return Response(serializers.TimelineSerializer({"lead_id": lead.pk, "items": items}).data)

    @extend_schema(responses=OpenApiTypes.OBJECT, filters=False)
    @action(detail=True, methods=["get"], filterset_class=None, ordering_fields=None)
    def compliance(self, request, pk=None):
        """The lead's compliance record, your part of it: consent and identity as posted, consent
        evidence and its verification, the suppression and duplicate checks, the holds, and your
        own access, sales and deliveries (`sections`, in order, each with its `entries`)."""
        lead = self.get_object()
        return Response(lead_compliance_record(lead=lead, workspace=self.caller_workspace()))

    @extend_schema(methods=["GET"], responses=serializers.PartnerActivitySerializer(many=True), filters=False)
    @extend_schema(
        methods=["POST"],
        request=serializers.PartnerActivitySerializer,
        responses={201: serializers.PartnerActivitySerializer},
    )
    @action(detail=True, methods=["get", "post"], filterset_class=None, ordering_fields=None)
    def activities(self, request, pk=None):
        """Calls, emails, meetings and notes on the lead; a call adds one contact attempt."""
        lead = self.get_object()
        workspace = self.caller_workspace()
        if request.method == "GET":
            page = self.paginate_queryset(lead_activity_list(lead=lead, workspace=workspace).order_by("-id"))
            return self.get_paginated_response(serializers.PartnerActivitySerializer(page, many=True).data)
        serializer = serializers.PartnerActivitySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        activity = lead_activity_add(
            lead=lead, created_by=self.actor(), workspace=workspace, **serializer.validated_data
        )
        return Response(serializers.PartnerActivitySerializer(activity).data, status=status.HTTP_201_CREATED)

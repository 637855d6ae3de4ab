"""OpenAPI generation: every status a partner endpoint can answer is in its schema.

drf-spectacular documents only the success response. The refusals follow from what a view is
built from (authentication → 401, permissions → 403, throttling → 429, an object, a cursor page
or a staff caller's `?workspace=` that is not there → 404, a body or query parameters → 400, body
values → 422, a body in another media type → 415), so they are added here once, from the view's
classes, instead of being repeated on every view. A view's own `extend_schema(responses=...)` for
a status always wins. Every one of them is the `Error` component (provider webhooks: `Error` plus
`outcome` and `reason`).

Read-only model fields lose `allow_blank` in DRF, so a blank email, URL or choice column would be
documented as "must be an email/URL/one of ..." and every stored "" would break the contract:
such fields also admit "" here.
"""
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The one error body of every 4xx/5xx under /api/."""

    code = serializers.CharField(help_text="What is wrong, for machines (e.g. `validation`, `not_found`).")
    message = serializers.CharField(help_text="What is wrong, for people.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per field (dotted for nested fields; `non_field_errors` for the whole body); "
                  "empty when no field is at fault.",
    )
    missing_scope = serializers.CharField(required=False, help_text="403: the scope the API key lacks.")
    allowed = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="An illegal status change: the allowed next ones."
    )
    request_id = serializers.CharField(help_text="Also in the X-Request-ID header; quote it when asking us.")


ERROR_REF = {"$ref": "#/components/schemas/Error"}
# Provider webhooks answer the error body plus `outcome` and `reason` (the same text as `message`).
WEBHOOK_ERROR_SCHEMA = {
    "allOf": [
        ERROR_REF,
        {
            "type": "object",
            "properties": {
                "outcome": {"type": "string", "enum": ["failure", "error"],
                            "description": "`error` when the fault is ours (5xx)."},
                "reason": {"type": "string", "description": "The same as `message`."},
            },
            "required": ["outcome", "reason"],
        },
    ]
}


def error_response(description, **kwargs) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description, **kwargs)


def webhook_error_response(description, **kwargs) -> OpenApiResponse:
    return OpenApiResponse(WEBHOOK_ERROR_SCHEMA, description=description, **kwargs)


class WebhookTestModeSerializer(serializers.Serializer):
    """A valid post on a webhook in test mode: checked as usual, nothing stored."""

    outcome = serializers.ChoiceField(["success"])
    test_mode = serializers.BooleanField(help_text="Always true: this webhook is in test mode.")
    reason = serializers.CharField(help_text="Says that nothing was stored.")


def webhook_refusals(own: dict) -> dict:
    """`own` responses plus those every provider webhook (providers.gate) can give."""
    described = {
        400: "Malformed body (`code`: malformed_json, json_not_object, json_too_deep, nul_character, "
             "json_sent_as_form, ...).",
        401: "Provider or signature refused (`code` says which).",
        403: "Provider may not post to this webhook.",
        404: "Unknown, inactive or deleted webhook.",
        413: "Body over 1 MB.",
        415: "Unsupported Content-Type.",
        422: "Invalid data; `errors` names each field.",
        429: "Webhook or provider rate limit exceeded; see Retry-After.",
    }
    refusals = {status: webhook_error_response(text) for status, text in described.items()}
    return {**refusals, **own}


def allows_blank(field) -> bool:
    """Whether the serializer field can carry "" (itself, or as a read-only copy of a blank column)."""
    if getattr(field, "allow_blank", False):
        return True
    model = getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)
    if model is None or not field.read_only or not field.source or "." in field.source:
        return False
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False
    return model_field.blank and isinstance(model_field, (models.CharField, models.TextField))


class LeadhubAutoSchema(AutoSchema):
    def get_tags(self):
        """One tag per resource: the first path segment after /api/v1/, except the workspace's
        outbound events and sales, which are resources of their own."""
        for resource in ("events", "sales"):
            if self.path.startswith(f"/api/v1/workspace/{resource}/"):
                return [resource]
        return super().get_tags()

    def _resolve_path_parameters(self, variables):
        """A view's `lookup_value_regex` (e.g. `\\d+`) only narrows the URL; the parameter's type
        comes from the model's primary key (integer, UUID), not the regex's "string"."""
        parameters = super()._resolve_path_parameters(variables)
        model = get_view_model(self.view, emit_warnings=False)
        if model is not None and getattr(self.view, "lookup_field", None) == "pk":
            for parameter in parameters:
                if parameter["name"] == "id":
                    schema = self._map_model_field(model._meta.pk, direction=None)
                    schema.pop("readOnly", None)
                    parameter["schema"] = schema
        return parameters

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if schema.get("type") != "string" or not allows_blank(field):
            return
        if "enum" in schema and "" not in schema["enum"]:
            schema["enum"] = [*schema["enum"], ""]  # the enum post-processing splits out BlankEnum
        elif "format" in schema:
            schema["anyOf"] = [{"format": schema.pop("format")}, {"maxLength": 0}]

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for status, response in self._refusals(operation).items():
            if status not in responses:
                responses[status] = self._get_response_for_code(response, status)
        return operation

    def _refusals(self, operation) -> dict:
        view = self.view
        refusals = {}
        has_input = "requestBody" in operation or any(
            parameter.get("in") == "query" for parameter in operation.get("parameters", ())
        )
        if has_input:
            refusals["400"] = error_response(
                "Malformed request: an unknown or invalid query parameter, an unknown body field, or a body "
                "that is not JSON; `errors` names each."
            )
        if "requestBody" in operation:
            refusals["415"] = error_response("Body sent without a Content-Type listed for this operation.")
            refusals["422"] = error_response("Invalid values in the body; `errors` names each field.")
        authenticated = bool(getattr(view, "authentication_classes", None) and getattr(view, "permission_classes", None))
        if authenticated:
            refusals["401"] = error_response("Missing or invalid credentials.")
            refusals["403"] = error_response("Credentials lack the scope (`missing_scope`) or the role.")
        if authenticated or "{" in self.path:
            refusals["404"] = error_response(
                "No such object for this caller, a bad page cursor, or (staff) an unknown `?workspace=`."
            )
        if getattr(view, "throttle_classes", None):
            refusals["429"] = error_response("Rate limit exceeded; see Retry-After.")
        return refusals


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """Replaces drf-spectacular's generic cookie scheme: the session only ever belongs to staff."""

    target_class = "rest_framework.authentication.SessionAuthentication"
    name = "staffSession"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "Staff only: the admin login's session cookie (unsafe methods also need the CSRF "
                           "token in `X-CSRFToken`). Staff see every workspace. Partners use `workspaceKey`.",
        }

"""OpenAPI generation: every status a partner endpoint can answer is in its schema.

drf-spectacular documents only the success response. The refusals follow from what a view is
built from (authentication → 401, permissions → 403, throttling → 429, a path id or a cursor
page → 404, a body or query parameters → 400), so they are added here once, from the view's
classes, instead of being repeated on every view. A view's own `extend_schema(responses=...)`
for a status always wins.
"""
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """DRF's refusal body; permission errors may add keys such as `missing_scope`."""

    detail = serializers.CharField()


# Field name → messages (or nested errors); "non_field_errors" for the body as a whole.
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "additionalProperties": {},
    "description": "Field name → list of messages (nested for nested fields).",
}


class LeadhubAutoSchema(AutoSchema):
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
            refusals["400"] = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid input.")
        if getattr(view, "authentication_classes", None) and getattr(view, "permission_classes", None):
            refusals["401"] = OpenApiResponse(ErrorSerializer, description="Missing or invalid credentials.")
            refusals["403"] = OpenApiResponse(
                ErrorSerializer, description="Credentials lack the scope (`missing_scope`) or the role."
            )
        if "{" in self.path or (self._is_list_view() and self._get_paginator() is not None):
            refusals["404"] = OpenApiResponse(ErrorSerializer, description="No such object here, or a bad cursor.")
        if getattr(view, "throttle_classes", None):
            refusals["429"] = OpenApiResponse(ErrorSerializer, description="Rate limit exceeded; see Retry-After.")
        return refusals

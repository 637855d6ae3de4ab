"""Cursor pagination: stable under concurrent inserts and no COUNT(*) per page."""
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from django.core.exceptions import ValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

from leadhub.api.exceptions import MalformedRequest

INVALID_CURSOR = "Not a cursor this list gave out: send `next_cursor`, or follow `next` / `previous`, as it came."


class IdCursorPagination(CursorPagination):
    """Pages of `results` with `next` / `previous` links, and the next cursor on its own in
    `next_cursor` for clients that keep the cursor rather than the link."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """DRF's decoding, plus a check that the position is a value of the ordering's field: a
        cursor is base64 anyone can edit, and `p=abc` on an id ordering would reach the query
        and fail there. Either way a bad cursor is a 400 naming `cursor` (DRF says 404)."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            cursor = None
        else:
            if cursor is None or cursor.position is None or self._is_position(cursor.position):
                return cursor
        raise MalformedRequest({self.cursor_query_param: [INVALID_CURSOR]})

    def _is_position(self, position: str) -> bool:
        field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)
            field.run_validators(value)  # an id within the column's range
            if isinstance(value, datetime):
                value.astimezone(UTC)  # raises past year 9999 or before year 1 in UTC
        except (ValidationError, OverflowError):
            return False
        return True

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["next_cursor"] = self._cursor_of(response.data["next"])
        return response

    def _cursor_of(self, link):
        if not link:
            return None
        return parse_qs(urlsplit(link).query).get(self.cursor_query_param, [None])[0]

    def get_paginated_response_schema(self, schema):
        response_schema = super().get_paginated_response_schema(schema)
        response_schema["properties"]["next_cursor"] = {
            "type": "string", "nullable": True,
            "description": f"The `{self.cursor_query_param}` of the next page (as in `next`); null on the last.",
        }
        return response_schema

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size,
                                       "default": self.page_size}
                parameter["description"] = f"Rows per page: {self.page_size} unless told, at most {self.max_page_size}."
        return parameters

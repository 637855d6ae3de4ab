"""Cursor pagination: stable under concurrent inserts and no COUNT(*) per page."""
from urllib.parse import parse_qs, urlsplit

from rest_framework.pagination import CursorPagination


class IdCursorPagination(CursorPagination):
    """Pages of `results` with `next` / `previous` links, and the next cursor on its own in
    `next_cursor` for clients that keep the cursor rather than the link."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

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

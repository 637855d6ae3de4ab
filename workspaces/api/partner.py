"""The base every partner API view builds on: auth, scopes, throttling, pagination, tenancy, and
answers no cache keeps.

Tenancy rule: a view asks `caller_workspace()` and hands it to a selector. A workspace key gets
its own workspace; a staff user gets None, which selectors read as "all workspaces".

Caching rule: every partner answer, success or refusal, says `Cache-Control: no-store` (with
Django's other never-cache headers). Nearly all of them carry personal data (names, phones,
emails, notes, appointments, conversion values) or a secret, and the few that do not (a 404, an
empty page) are answers to one caller too, so one rule for the whole API leaves nothing to
decide per endpoint and no new endpoint to forget; a shared proxy or the client's HTTP cache
keeps none of them.
"""
import re

from django.utils.cache import add_never_cache_headers
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings

from leadhub.actors import actor_for_caller
from leadhub.api.exceptions import MalformedRequest
from leadhub.api.pagination import IdCursorPagination
from leadhub.api.parsers import NUL_IN_QUERY, DepthLimitedJSONParser, nul_parameters
from leadhub.api.permissions import HasScope
from leadhub.api.throttles import WorkspaceRateThrottle
from workspaces.api.authentication import WorkspaceKeyAuthentication
from workspaces.selectors import caller_workspace, workspace_get


class TokenAPIMixin:
    """What every token API shares (the partners' and the providers'): an unknown query parameter
    is refused (`query_params_check`) and no answer is stored by a cache on the way."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        query_params_check(request.query_params, self)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class PartnerAPIMixin(TokenAPIMixin):
    authentication_classes = [WorkspaceKeyAuthentication, SessionAuthentication]
    # Partner bodies are JSON only: one documented media type that client generators handle.
    parser_classes = [DepthLimitedJSONParser]
    permission_classes = [HasScope]
    throttle_classes = [WorkspaceRateThrottle]
    pagination_class = IdCursorPagination
    required_scopes: dict = {}

    def caller_workspace(self):
        """The caller's workspace, or None for staff (who see every workspace)."""
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, no rows
            return None
        return caller_workspace(self.request.user)

    def acting_workspace(self):
        """For endpoints about one workspace: the key's own, or for staff `?workspace=<id>`."""
        workspace = self.caller_workspace()
        if workspace is not None:
            return workspace
        workspace_id = self.request.query_params.get("workspace", "")
        if not workspace_id:
            raise MalformedRequest({"workspace": ["Staff must name the workspace: ?workspace=<id>."]})
        return workspace_get(workspace_id=workspace_id)

    def actor(self):
        """Who to record in audit rows (leadhub.actors): the key's workspace, or the staff user."""
        return actor_for_caller(self.request.user)



def accepted_query_params(view) -> set:
    """Every query parameter the view reads: its filters (both spellings of a range), the
    pagination and ordering parameters, analytics' `query_serializer`, and staff's `?workspace=`."""
    names = {"workspace"}
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is not None:
        for name, filter_ in filterset_class.base_filters.items():
            suffixes = getattr(filter_.field.widget, "suffixes", None) or [""]  # ranges: `<name>_after`, ...
            names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
    paginator = getattr(view, "paginator", None)
    if paginator is not None:
        names.update({paginator.cursor_query_param, paginator.page_size_query_param})
    if getattr(view, "ordering_fields", None):
        names.add(api_settings.ORDERING_PARAM)
    query_serializer = getattr(view, "query_serializer", None)
    if query_serializer is not None:
        names.update(query_serializer().fields)
    return names


def query_params_check(query_params, view):
    """A 400 naming every query parameter the view does not read, and a bad `page_size`: a
    misspelled filter must not silently widen the answer. A NUL in any parameter is refused here,
    before any filter, search or lookup could pass it to the database."""
    accepted = accepted_query_params(view)
    errors = {name: ["Unknown query parameter."] for name in sorted(set(query_params) - accepted) if "\x00" not in name}
    errors.update({name: [NUL_IN_QUERY] for name in nul_parameters(query_params)})
    paginator = getattr(view, "paginator", None)
    if paginator is not None and paginator.page_size_query_param in query_params:
        value = query_params[paginator.page_size_query_param]
        # ASCII digits only: str.isdigit() takes "²", and a 5,000-digit string, which int() refuses.
        if not (re.fullmatch(r"[0-9]{1,4}", value) and 1 <= int(value) <= paginator.max_page_size):
            errors[paginator.page_size_query_param] = [f"A whole number from 1 to {paginator.max_page_size}."]
    if errors:
        raise MalformedRequest(errors)

"""The reusable tenant-isolation test base for the partner API (NetBox style).

Every partner endpoint plugs in by subclassing `IsolationSuite` in a `test_*isolation*.py`
module: name the routes it covers, its URLs, how to make one object for a workspace, and the
filters and writes it offers. The base then proves, for each of them, that workspace B's key
gets 404 for A's objects, never sees them in lists, filters or search, cannot change them, and
that list and detail endpoints cost exactly their query-count baseline (leadhub.testing.query_counts)
at 10 and at 200 rows. A coverage test (`assert_partner_routes_covered`) fails when a partner
route has no suite.

    class TestLeadIsolation(IsolationSuite):
        url_names = ("partner-lead-list", "partner-lead-detail")
        list_url = "/api/v1/leads/"
        detail_url = "/api/v1/leads/{pk}/"
        filter_params = (lambda lead: {"search": lead.email},)
        write_requests = (("patch", "/api/v1/leads/{pk}/", {"notes": "mine now"}),)

        def make_object(self, workspace):
            return make_lead(workspace=workspace)
"""
import glob
import importlib
import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from rest_framework.test import APIClient

from leadhub.testing import assert_error, make_workspace
from workspaces.models import Scope


def key_client(workspace) -> APIClient:
    """An API client sending a freshly rotated key of `workspace` as `Authorization: Bearer`."""
    from workspaces.services import workspace_key_rotate

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {workspace_key_rotate(workspace=workspace)}")
    return client


def workspace_with_key(*, scopes=None, **fields):
    """A workspace (every Scope unless told) and a client authenticated with its key.

    The id is random: throttle counters and activity stamps live in the shared cache, which
    parallel test workers share, so ids must not repeat across workers (and the cache is never
    cleared, which would wipe other workers' rate-limit state).
    """
    fields.setdefault("workspace_id", f"ws-{uuid.uuid4().hex[:12]}")
    workspace = make_workspace(permissions=list(Scope.values if scopes is None else scopes), **fields)
    return workspace, key_client(workspace)


def result_ids(response):
    """Ids in a list response, paginated (`results`) or not."""
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return {str(row["id"]) for row in rows}


class IsolationSuite:
    url_names: tuple = ()  # route names this suite covers
    list_url: str | None = None  # e.g. "/api/v1/leads/"
    detail_url: str | None = None  # e.g. "/api/v1/leads/{pk}/"
    nested_get_urls: tuple = ()  # more GETs about one object, e.g. "/api/v1/leads/{pk}/timeline/"
    filter_params: tuple = ()  # callables: object -> query params that match that object
    write_requests: tuple = ()  # (method, url template, body) that would change an object

    # Each test needs the endpoint it exercises; a suite without it does not collect the test
    # (a skip would show up in CI, where nothing may be skipped).
    NEEDS = {
        "test_list_shows_only_own_objects": ("list_url",),
        "test_filters_and_search_never_reveal_other_workspace": ("filter_params",),
        "test_other_workspace_gets_404_for_every_read": ("detail_url", "nested_get_urls"),
        "test_other_workspace_cannot_modify": ("detail_url",),
        "test_list_queries_match_the_baseline": ("list_url",),
        "test_detail_queries_match_the_baseline": ("detail_url", "nested_get_urls"),
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for test, attributes in IsolationSuite.NEEDS.items():
            if not any(getattr(cls, name) for name in attributes):
                setattr(cls, test, None)

    def make_object(self, workspace):
        raise NotImplementedError

    def make_rows(self, workspace, count):
        for _ in range(count):
            self.make_object(workspace)

    def snapshot(self, obj):
        """Everything that must not change when another workspace tries to write."""
        return model_to_dict(type(obj).objects.get(pk=obj.pk))

    def url(self, template, obj):
        return template.format(pk=obj.pk)

    @pytest.fixture
    def tenants(self, db):
        workspace_a, client_a = workspace_with_key()
        workspace_b, client_b = workspace_with_key()
        return workspace_a, client_a, workspace_b, client_b

    def test_list_shows_only_own_objects(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        mine, theirs = self.make_object(workspace_b), self.make_object(workspace_a)
        seen_by_b = result_ids(client_b.get(self.list_url, {"page_size": 500}))
        assert str(mine.pk) in seen_by_b
        assert str(theirs.pk) not in seen_by_b
        assert str(theirs.pk) in result_ids(client_a.get(self.list_url, {"page_size": 500}))

    def test_filters_and_search_never_reveal_other_workspace(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        theirs = self.make_object(workspace_a)
        for params_for in self.filter_params:
            params = params_for(theirs)
            # The filter really matches the object (for its owner), and still hides it from B.
            assert str(theirs.pk) in result_ids(client_a.get(self.list_url, params)), params
            assert str(theirs.pk) not in result_ids(client_b.get(self.list_url, params)), params

    def test_other_workspace_gets_404_for_every_read(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        theirs = self.make_object(workspace_a)
        templates = ([self.detail_url] if self.detail_url else []) + list(self.nested_get_urls)
        for template in templates:
            url = self.url(template, theirs)
            assert client_a.get(url).status_code == 200, url
            body = assert_error(client_b.get(url), 404, code="not_found")
            del body["request_id"]  # random hex, which may hold the digits of any id
            assert str(theirs.pk) not in json.dumps(body), url

    def test_other_workspace_cannot_modify(self, tenants):
        workspace_a, client_a, workspace_b, client_b = tenants
        theirs = self.make_object(workspace_a)
        before = self.snapshot(theirs)
        attempts = list(self.write_requests) + [
            ("put", self.detail_url, {}),
            ("patch", self.detail_url, {}),
            ("delete", self.detail_url, None),
            ("post", self.detail_url, {}),
        ]
        for method, template, body in attempts:
            url = self.url(template, theirs)
            response = getattr(client_b, method)(url, body, format="json")
            # 404: the object does not exist for B; 405: the verb does not exist at all.
            assert response.status_code in (404, 405), (method, url, response.status_code)
            if (method, template) in {(m, t) for m, t, _ in self.write_requests}:
                assert response.status_code == 404, (method, url)
        assert self.snapshot(theirs) == before

    @pytest.mark.parametrize("rows", [10, 200])
    def test_list_queries_match_the_baseline(self, tenants, rows, query_baseline):
        workspace_a, client_a, workspace_b, client_b = tenants
        self.make_rows(workspace_a, rows)
        self.make_rows(workspace_b, 3)
        client_a.get(self.list_url)  # stamps last_activity_at (once a minute) outside the count
        with query_baseline(route_name(self.list_url)):
            response = client_a.get(self.list_url, {"page_size": 500})
        assert len(result_ids(response)) == rows

    @pytest.mark.parametrize("rows", [10, 200])
    def test_detail_queries_match_the_baseline(self, tenants, rows, query_baseline):
        """One object's reads cost the same however many other rows its workspace holds."""
        workspace_a, client_a, workspace_b, client_b = tenants
        self.make_rows(workspace_a, rows - 1)
        self.make_rows(workspace_b, 3)
        mine = self.make_object(workspace_a)
        templates = ([self.detail_url] if self.detail_url else []) + list(self.nested_get_urls)
        client_a.get(self.url(templates[0], mine))  # stamps last_activity_at outside the count
        for template in templates:
            url = self.url(template, mine)
            with query_baseline(route_name(url)):
                response = client_a.get(url)
            assert response.status_code == 200, (url, response.content)


def route_name(url):
    """The name of the route serving `url`: the baseline a request to it is measured against."""
    return resolve(urlsplit(url).path).url_name


def partner_route_names(base=None):
    """Names of every route served by a partner API view (PartnerAPIMixin), or one of `base`."""
    from workspaces.api.partner import PartnerAPIMixin

    base = base or PartnerAPIMixin
    names = set()

    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                view_class = getattr(pattern.callback, "cls", None)
                if view_class and issubclass(view_class, base):
                    names.add(pattern.name)

    walk(get_resolver().url_patterns)
    return names


def covered_route_names():
    """Route names declared by every IsolationSuite in the project's isolation test modules."""
    base = Path(settings.BASE_DIR)
    for path in sorted(glob.glob(str(base / "*" / "tests" / "test_*isolation*.py"))):
        module = ".".join(Path(path).relative_to(base).with_suffix("").parts)
        importlib.import_module(module)
    names = set()
    stack = list(IsolationSuite.__subclasses__())
    while stack:
        suite = stack.pop()
        names.update(suite.url_names)
        stack.extend(suite.__subclasses__())
    return names


def assert_partner_routes_covered():
    assert_api_routes_covered()


def assert_api_routes_covered(base=None):
    """Every route of `base`'s views (the partner API's unless told) has an isolation suite."""
    missing = partner_route_names(base) - covered_route_names()
    assert not missing, f"{(base or type('partner', (), {})).__name__} routes without an isolation suite: {sorted(missing)}"

"""The provider read API: a source reads its own leads and nothing else (the partner API's
IsolationSuite, with providers as the tenants), every provider route is covered by a suite, a
keyless provider is refused on every read route and can still post."""
import json
import uuid

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from leadhub.testing import (
    PROVIDER_API_KEY,
    assert_error,
    make_lead,
    make_provider,
    make_webhook,
    provider_post,
    valid_phone,
)
from leadhub.testing.api import IsolationSuite, assert_api_routes_covered
from leads.models import Lead
from sources.api.views import ProviderAPIMixin
from sources.tests.builders import keyed_provider_client
from sources.tests import test_provider_statements

ROUTE_ARGS = {"provider-lead-list": {}, "provider-lead-detail": {"pk": 1}, "provider-statement-list": {},
              "provider-statement-detail": {"period": "2020-W02"}}


class TestProviderLeadIsolation(IsolationSuite):
    url_names = ("provider-lead-list", "provider-lead-detail")
    list_url = "/api/v1/provider/leads/"
    detail_url = "/api/v1/provider/leads/{pk}/"
    filter_params = (
        lambda lead: {"webhook": lead.webhook_id},
        lambda lead: {"date": lead.created_at.date().isoformat()},
        lambda lead: {"disposition": "unsold"},
    )

    @pytest.fixture
    def tenants(self, db):
        provider_a, client_a = keyed_provider_client()
        provider_b, client_b = keyed_provider_client()
        return provider_a, client_a, provider_b, client_b

    def make_object(self, provider):
        return make_lead(provider_id=provider.provider_id, external_id=f"ref-{uuid.uuid4().hex[:8]}")


def test_every_provider_route_has_an_isolation_suite():
    assert_api_routes_covered(ProviderAPIMixin)
    statements = test_provider_statements.TestProviderStatementIsolation
    assert set(ROUTE_ARGS) == {*TestProviderLeadIsolation.url_names, *statements.url_names}


@pytest.mark.django_db
def test_a_keyless_provider_gets_401_on_every_read_route_and_can_still_post():
    provider = make_provider(f"prov-{uuid.uuid4().hex[:10]}")  # no key, as the seed allows
    webhook = make_webhook()
    posted = provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", json.dumps({
        "first_name": "Ada", "last_name": "Byron", "email": "ada@example.com", "phone": valid_phone(),
        "zip_code": "94105", "consent_value": True, "tcpa_compliance": True,
    }), provider=provider, key=None)
    assert posted.status_code in (200, 201), posted.content
    lead = Lead.objects.get(provider_id=provider.provider_id)

    client = APIClient()
    client.credentials(HTTP_X_PROVIDER_ID=provider.provider_id)
    for name, kwargs in ROUTE_ARGS.items():
        url = reverse(name, kwargs={**kwargs, "pk": lead.pk} if "pk" in kwargs else kwargs or None)
        body = assert_error(client.get(url), 401, code="provider_key_required")
        assert "provider_key" in body["message"] and "X-Api-Key" in body["message"], body
        # A key sent for a provider that has none proves nothing either.
        client.credentials(HTTP_X_PROVIDER_ID=provider.provider_id, HTTP_X_API_KEY=PROVIDER_API_KEY)
        assert_error(client.get(url), 401, code="provider_key_required")
        client.credentials(HTTP_X_PROVIDER_ID=provider.provider_id)
        assert_error(APIClient().get(url), 401, code="provider_id_missing")


@pytest.mark.django_db
def test_a_wrong_key_is_refused_and_the_partner_key_is_no_provider_key():
    provider, client = keyed_provider_client()
    wrong = APIClient()
    wrong.credentials(HTTP_X_PROVIDER_ID=provider.provider_id, HTTP_X_API_KEY="lhp_wrong")
    assert_error(wrong.get("/api/v1/provider/leads/"), 401, code="provider_auth_failed")
    assert_error(client.get("/api/v1/provider/leads/", {"buyer": "x"}), 400, field="buyer")


@pytest.mark.django_db
@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"workspace": "600/min", "provider": "2/hour"}})
def test_the_provider_api_is_rate_limited_per_provider_like_the_partner_api():
    _busy, busy = keyed_provider_client()
    _calm, calm = keyed_provider_client()
    assert [busy.get("/api/v1/provider/leads/").status_code for _ in range(3)] == [200, 200, 429]
    assert int(busy.get("/api/v1/provider/leads/").headers["Retry-After"]) >= 1
    assert calm.get("/api/v1/provider/leads/").status_code == 200

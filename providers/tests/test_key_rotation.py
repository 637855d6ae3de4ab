"""Provider API key rotation with a grace period: both keys work during it, only the new one after."""
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from leadhub.testing import assert_webhook_error, make_provider, provider_post, unique_id
from providers.models import LeadSourceProvider
from providers.services.keys import provider_key_rotate

pytestmark = pytest.mark.django_db

LEAD = {"first_name": "Ada", "last_name": "L", "email": "a@example.com", "phone": "(415) 555-0132",
        "consent_value": True, "tcpa_compliance": True}


def post(webhook, provider, key, phone):
    body = json.dumps({**LEAD, "phone": phone})
    return provider_post(Client(), f"/api/v1/webhooks/{webhook.webhook_id}/leads/", body, provider=provider, key=key)


def test_both_provider_keys_work_during_the_grace_and_only_the_new_one_after(webhook):
    provider = make_provider(unique_id("prov"))
    old_key = provider_key_rotate(provider=provider)
    new_key = provider_key_rotate(provider=provider, grace=timedelta(hours=1))
    assert post(webhook, provider, old_key, "(415) 555-0101").status_code == 201
    assert post(webhook, provider, new_key, "(415) 555-0102").status_code == 201
    LeadSourceProvider.objects.filter(pk=provider.pk).update(
        api_key_previous_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_webhook_error(post(webhook, provider, old_key, "(415) 555-0103"), 401, code="provider_auth_failed")
    assert post(webhook, provider, new_key, "(415) 555-0104").status_code == 201


def test_a_second_rotation_ends_the_previous_provider_key_at_once(webhook):
    provider = make_provider(unique_id("prov"))
    first = provider_key_rotate(provider=provider)
    second = provider_key_rotate(provider=provider)
    third = provider_key_rotate(provider=provider)
    assert_webhook_error(post(webhook, provider, first, "(415) 555-0111"), 401, code="provider_auth_failed")
    assert post(webhook, provider, second, "(415) 555-0112").status_code == 201
    assert post(webhook, provider, third, "(415) 555-0113").status_code == 201


@pytest.mark.parametrize("grace, old_key_works", [(None, True), ("2h", True), ("0", False)])
def test_provider_key_command_grace(webhook, grace, old_key_works):
    provider = make_provider(unique_id("prov"))
    old_key = provider_key_rotate(provider=provider)
    out = io.StringIO()
    call_command("provider_key", provider.provider_id, *(["--grace", grace] if grace else []), stdout=out)
    new_key = out.getvalue().strip().splitlines()[-1]
    provider.refresh_from_db()
    expected = {None: timedelta(hours=24), "2h": timedelta(hours=2)}.get(grace)
    if expected:
        assert expected - timedelta(minutes=1) < provider.api_key_previous_expires_at - timezone.now() <= expected
    assert (post(webhook, provider, old_key, "(415) 555-0121").status_code == 201) is old_key_works
    assert post(webhook, provider, new_key, "(415) 555-0122").status_code == 201

"""`manage.py provider_key`: prints a new key last; only its digest reaches the database."""
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from leadhub.keys import digests_match
from leadhub.testing import make_provider
from providers.models import LeadSourceProvider

pytestmark = pytest.mark.django_db


def test_provider_key_prints_the_key_last_and_stores_its_digest():
    provider = make_provider()
    out = StringIO()

    call_command("provider_key", provider.provider_id, stdout=out)

    raw_key = out.getvalue().strip().splitlines()[-1]
    stored = LeadSourceProvider.objects.get(pk=provider.pk).api_key
    assert raw_key.startswith("lhp_")
    assert stored != raw_key and digests_match(stored, raw_key)
    assert not LeadSourceProvider.objects.filter(api_key=raw_key).exists()


def test_provider_key_for_unknown_provider_fails_clearly():
    with pytest.raises(CommandError, match="No provider 'ghost'"):
        call_command("provider_key", "ghost", stdout=StringIO())

"""Test builders of the sources app (tests only)."""
from rest_framework.test import APIClient

from leadhub.testing import PROVIDER_API_KEY, make_keyed_provider


def keyed_provider_client(**fields):
    """A provider with a key, and an API client sending its `X-Provider-Id` and `X-Api-Key`."""
    provider = make_keyed_provider(**fields)
    client = APIClient()
    client.credentials(HTTP_X_PROVIDER_ID=provider.provider_id, HTTP_X_API_KEY=PROVIDER_API_KEY)
    return provider, client

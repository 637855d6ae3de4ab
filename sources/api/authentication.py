"""The provider read API's caller: a lead source proven by `X-Provider-Id` + `X-Api-Key` through
providers.auth (the one key check of ingest too), with a key required: a keyless provider may
post (as the seed allows) but reads nothing, and is told how to get a key."""
from dataclasses import dataclass

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from leadhub.api.exceptions import Refusal
from providers.auth import API_KEY_HEADER, PROVIDER_HEADER, provider_identify


@dataclass(frozen=True)
class ProviderPrincipal:
    provider: object
    is_authenticated: bool = True
    is_staff: bool = False
    is_active: bool = True
    pk: None = None

    def has_perm(self, perm):
        return False


class ProviderKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        try:
            provider = provider_identify(headers=request.headers, key_required=True)
        except Refusal as refusal:
            raise exceptions.AuthenticationFailed(refusal.reason, code=refusal.code) from None
        return ProviderPrincipal(provider=provider), None

    def authenticate_header(self, request):
        return f'{PROVIDER_HEADER}, {API_KEY_HEADER} realm="provider"'


class ProviderKeyScheme(OpenApiAuthenticationExtension):
    """Both headers, together (one security requirement naming the two schemes)."""

    target_class = "sources.api.authentication.ProviderKeyAuthentication"
    name = ["providerId", "providerKey"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": PROVIDER_HEADER, "description": "The provider's id."},
            {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
             "description": "The provider's API key (`lhp_...`), required to read; ops issue it."},
        ]

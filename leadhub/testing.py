"""Shared test builders: one place that knows how to make valid rows, so tests stay short.

Phones use real US area codes (415, 212, 312 ...): `phonenumbers` refuses the fictional 555 range
as a whole number, and ingestion refuses what it does not consider valid.
"""
import itertools

from leadhub.choices import LeadType

_seq = itertools.count(1)


def unique_suffix():
    return next(_seq)


def valid_phone(n=None):
    """A distinct, valid NANP number in normalised form: +1 415 2xx xxxx."""
    n = unique_suffix() if n is None else n
    return f"+1415{2000000 + n % 8000000:07d}"


def make_workspace(workspace_id=None, **fields):
    from workspaces.models import Workspace

    workspace_id = workspace_id or f"ws-{unique_suffix()}"
    fields.setdefault("name", workspace_id.title())
    return Workspace.objects.create(id=workspace_id, **fields)


def make_webhook(webhook_id=None, lead_type=LeadType.SOLAR, **fields):
    from providers.models import WebhookConfig

    webhook_id = webhook_id or f"wh-{unique_suffix()}"
    fields.setdefault("name", f"Webhook {webhook_id}")
    return WebhookConfig.objects.create(webhook_id=webhook_id, lead_type=lead_type, **fields)


def make_provider(provider_id=None, **fields):
    from providers.models import LeadSourceProvider

    provider_id = provider_id or f"prov-{unique_suffix()}"
    fields.setdefault("provider_name", f"Provider {provider_id}")
    return LeadSourceProvider.objects.create(provider_id=provider_id, **fields)


def make_contact(webhook_id="wh-test", phone=None, **fields):
    from contacts.models import Contact

    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", "Lovelace")
    return Contact.objects.create(webhook_id=webhook_id, phone=phone or valid_phone(), **fields)


def make_lead(contact=None, **fields):
    from leads.models import Lead

    contact = contact or make_contact()
    fields.setdefault("webhook_id", contact.webhook_id)
    fields.setdefault("lead_type", LeadType.SOLAR)
    fields.setdefault("first_name", contact.first_name)
    fields.setdefault("last_name", contact.last_name)
    fields.setdefault("email", "ada@example.com")
    fields.setdefault("phone", contact.phone)
    return Lead.objects.create(contact=contact, **fields)

"""`seed_demo` gives a newcomer working data and keys, and is safe to run again."""
import pytest
from django.db.models import Count, Sum
from django.core.management import call_command

from appointments.models import Appointment
from contacts.models import Contact
from conversions.models import Conversion
from leadhub.keys import key_digest
from leads.models import Lead
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.models import AppointmentRoutingRule, Workspace

pytestmark = pytest.mark.django_db

MODELS = [Workspace, AppointmentRoutingRule, LeadSourceProvider, WebhookConfig, Contact, Lead, Appointment, Conversion]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_is_idempotent_and_prints_working_demo_keys(capsys):
    call_command("seed_demo")
    first = counts()
    printed = capsys.readouterr().out
    call_command("seed_demo")
    assert counts() == first
    assert first["Lead"] == 300 and first["Workspace"] == 3 and first["WebhookConfig"] == 3
    assert first["Contact"] < first["Lead"], "repeated phones must deduplicate into one contact"
    assert first["Appointment"] > 0 and first["Conversion"] > 0
    assert "X-Api-Key: lhp_demo_demo-leadgen" in printed
    assert LeadSourceProvider.objects.get(provider_id="demo-leadgen").api_key == key_digest("lhp_demo_demo-leadgen")
    assert all(phone.startswith("+1") and len(phone) == 12 for phone in Contact.objects.values_list("phone", flat=True))

    for workspace in Workspace.objects.annotate(n=Count("conversions"), total=Sum("conversions__conversion_value")):
        assert workspace.total_conversions == workspace.n
        assert workspace.total_revenue == (workspace.total or 0)

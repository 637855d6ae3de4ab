"""`seed_demo` gives a newcomer working data and keys, and is safe to run again."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from analytics import selectors

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


@pytest.mark.slow
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


def numbers(value, key=""):
    """(key, number) for every number in a KPI answer, however nested."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from numbers(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from numbers(item, key)
    elif isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        yield key, value


@pytest.mark.slow
def test_seed_demo_tells_the_truth_and_every_kpi_after_the_rollup_is_plausible():
    call_command("seed_demo")
    now = timezone.now()
    call_command("rollup_analytics", "--from", (now - timedelta(days=31)).date().isoformat())

    assert not Conversion.objects.filter(converted_at__lt=F("lead__created_at")).exists()
    assert not Conversion.objects.filter(converted_at__gt=now).exists()
    assert not Lead.objects.filter(created_at__gt=now).exists()
    assert Lead.objects.filter(created_at__lt=now - timedelta(days=20)).exists(), "a month of history"
    appointments = Appointment.objects.all()
    assert appointments.exists() and not appointments.filter(created_at__lt=F("lead__created_at")).exists()
    assert not appointments.annotate(n_events=Count("events"), n_links=Count("lead_links", distinct=True)).filter(
        Q(n_events=0) | Q(n_links=0)
    ).exists()
    assert appointments.filter(status="completed").exists()
    assert not appointments.filter(status="completed", scheduled_at__gt=now).exists()
    assert not appointments.filter(matched_workspace__isnull=False, forward_status="").exists()
    assigned = Lead.objects.exclude(assigned_to="")
    assert assigned.values("assigned_to").distinct().count() > 1
    assert assigned.filter(assigned_to="admin", follow_up_date__lt=now).exists(), "admin's follow-ups start non-empty"

    date_from, date_to = (now - timedelta(days=31)).date(), now.date()
    answers = {
        selector.__name__: selector(workspace_id=workspace_id, date_from=date_from, date_to=date_to)
        for selector in (selectors.contact_lead_ratio, selectors.appointment_conversion,
                         selectors.provider_performance, selectors.workspace_efficiency,
                         selectors.daily_series, selectors.pipeline_funnel)
        for workspace_id in (None, "sunrise-solar")
    }
    found = list(numbers(answers))
    assert found
    for key, value in found:
        assert value >= 0, (key, value)
        if key.endswith("rate"):
            assert value <= 100, (key, value)
    efficiency = selectors.workspace_efficiency(workspace_id=None, date_from=date_from, date_to=date_to)
    assert all(row["mean_seconds_to_conversion"] for row in efficiency), efficiency
    assert sum(row["leads"] for row in selectors.daily_series(workspace_id=None, date_from=date_from,
                                                              date_to=date_to)) == Lead.objects.count()

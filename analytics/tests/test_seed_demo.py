"""`seed_demo` gives a newcomer a lead business at work (decisions, sales, money, holds, a failed
delivery credited and sold again, appointments read through the API), working keys and a README
whose sample posts answer what it prints; it is safe to run again and refuses production.

The demo is seeded once per module, at a fixed instant (time stands still: nothing here reads the
wall clock), outside any test transaction, as `make run` does: what follows a commit (a delivery,
a lead offered again) happens at its demo moment. Each test then runs in a transaction rolled back
after it; the module's data is flushed at its end."""
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q, Sum
from django.test import Client, override_settings
from django.utils import timezone

from analytics import selectors
from analytics.management.commands.seed_demo import WEBHOOKS, demo_provider_key
from appointments.models import Appointment, ForwardStatus
from contacts.models import Contact
from conversions.models import Conversion
from distribution.models import Cap, Decision, DecisionResult, Offer, OfferPriceAdjustment, Sale
from leadhub.keys import key_digest
from leadhub.roles import sync_role_groups
from leadhub.testing import ensure_pipeline_stages
from leads.models import Lead, LeadHold
from ledger.models import Entry, EntryKind
from distribution.strategies import STRATEGIES
from providers.models import LeadSourceProvider, PayoutKind, PayoutOn, WebhookConfig
from workspaces.models import AppointmentRoutingRule, DeliveryAttempt, OutboundEvent, Workspace

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# A Wednesday afternoon in Chicago: the demo week holds a weekend, nights and office hours.
NOW = datetime(2026, 3, 25, 20, 30, tzinfo=UTC)
README = Path(settings.BASE_DIR) / "README.md"
MODELS = [Workspace, AppointmentRoutingRule, LeadSourceProvider, WebhookConfig, Offer, OfferPriceAdjustment, Cap,
          Contact, Lead, LeadHold, Decision, Sale, Entry, OutboundEvent, DeliveryAttempt, Appointment, Conversion]


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once at NOW; (counts after it, what it printed)."""
    from io import StringIO

    with time_machine.travel(NOW, tick=False), django_db_blocker.unblock():
        out = StringIO()
        call_command("seed_demo", stdout=out)
        try:
            yield counts(), out.getvalue()
        finally:
            call_command("flush", interactive=False, verbosity=0)
            ensure_pipeline_stages()
            sync_role_groups(apps)


def test_seed_demo_refuses_production_settings():
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="production settings"):
        call_command("seed_demo")
    assert not Workspace.objects.exists()


def test_seed_demo_is_idempotent_and_prints_working_demo_keys(seeded):
    first, printed = seeded
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == first
    assert first["Lead"] == sum(old + recent for *_, old, recent in WEBHOOKS)
    assert first["Workspace"] == 5 and first["LeadSourceProvider"] == 3 and first["WebhookConfig"] == len(WEBHOOKS)
    assert first["Contact"] < first["Lead"], "repeated phones must deduplicate into one contact"
    assert first["Appointment"] > 0 and first["Conversion"] > 0
    assert "X-Api-Key: lhp_demo_demo-leadgen" in printed and "undelivered" in printed
    assert LeadSourceProvider.objects.get(provider_id="demo-leadgen").api_key == key_digest("lhp_demo_demo-leadgen")
    assert all(phone.startswith("+1") and len(phone) == 12 for phone in Contact.objects.values_list("phone", flat=True))

    for workspace in Workspace.objects.annotate(n=Count("conversions"), total=Sum("conversions__conversion_value")):
        assert workspace.total_conversions == workspace.n
        assert workspace.total_revenue == (workspace.total or 0)


def test_the_demo_is_a_lead_business_at_work(seeded):
    webhooks = WebhookConfig.objects.all()
    assert {w.distribution_strategy for w in webhooks} == set(STRATEGIES)
    terms = {(w.payout_kind, w.payout_booked_on) for w in webhooks}
    assert {(PayoutKind.FIXED, PayoutOn.ACCEPTED), (PayoutKind.FIXED, PayoutOn.SOLD),
            (PayoutKind.SHARE, PayoutOn.SOLD)} <= terms
    assert Offer.objects.filter(kind="lead", price__gt=0, exclusive_price__isnull=False).exists()
    assert not Offer.objects.filter(appointment_price=0, kind="appointment").exists(), "every rule's offer is priced"
    assert {(cap.measure, cap.window) for cap in Cap.objects.all()} >= {("count", "day"), ("spend", "day"),
                                                                        ("spend", "week"), ("count", "week")}

    verdicts = {row["verdict"] for decision in Decision.objects.all() for row in decision.candidates}
    assert {"eligible", "schedule_closed", "consent_hold", "duplicate_for_buyer"} <= verdicts
    assert any(verdict.startswith("cap:") for verdict in verdicts)
    assert Decision.objects.filter(result=DecisionResult.UNSOLD).exists()
    for strategy in STRATEGIES:
        assert Decision.objects.filter(strategy=strategy, result=DecisionResult.ASSIGNED).exists(), strategy
    assert Sale.objects.filter(exclusive=True).exists()
    assert Lead.objects.annotate(buyers=Count("sales")).filter(buyers__gte=2).exists(), "shared leads"
    assert Entry.objects.filter(kind=EntryKind.SALE).count() == Sale.objects.filter(price__gt=0).count()
    assert Entry.objects.filter(kind=EntryKind.PAYOUT).exists()
    assert not Sale.objects.filter(sold_at__gt=NOW).exists() and not Entry.objects.filter(created_at__gt=NOW).exists()

    # Keystone's endpoint refused every delivery for a day: credited, excluded, sold again to others.
    credits = Entry.objects.filter(kind=EntryKind.UNDELIVERED)
    assert credits.exists() and set(credits.values_list("workspace_id", flat=True)) == {"keystone-home"}
    assert DeliveryAttempt.objects.filter(error__contains="Connection refused").count() >= 12
    resold = [Lead.objects.get(pk=pk) for pk in credits.values_list("lead_id", flat=True)]
    assert all("keystone-home" in lead.excluded_buyers and lead.workspace_id != "keystone-home" for lead in resold)
    assert any(lead.decisions.count() == 2 and lead.workspace_id for lead in resold), "a lead sold again"
    assert Workspace.objects.get(pk="keystone-home").outbound_webhook_url == "", "back to reading through the API"

    # Consent: some held (one with an appointment waiting for it), one released by ops and sold.
    assert Lead.objects.exclude(hold_reasons="").exists()
    released = LeadHold.objects.filter(released_at__isnull=False)
    assert released.exists() and all(hold.released_by == "staff:admin" for hold in released)
    assert any(hold.lead.sales.exists() for hold in released)
    assert Appointment.objects.filter(forward_status=ForwardStatus.WAITING, matched_workspace__isnull=True).exists()

    # No buyer has an outbound URL now: every routed appointment is read through the API, none failed.
    routed = Appointment.objects.filter(matched_workspace__isnull=False)
    assert routed.exists() and not routed.exclude(forward_status=ForwardStatus.API).exists()

    week = Lead.objects.filter(created_at__gte=NOW - timedelta(days=7)).count()
    assert week > Lead.objects.count() / 2, "the last week is the rich one"
    hand_assigned = Lead.objects.exclude(workspace=None).exclude(decisions__result=DecisionResult.ASSIGNED)
    assert hand_assigned.exists(), "ops hand-assign some unsold leads"
    hand_sales = Sale.objects.filter(by="staff:admin")
    assert hand_sales.exists(), "a hand assignment is a sale"
    assert all(Entry.objects.filter(kind="sale", reference=f"sale:{sale.pk}").exists() for sale in hand_sales if sale.price)
    assert Sale.objects.filter(appointment__isnull=False, price__gt=0).exists(), "appointments are sold"


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


def test_seed_demo_tells_the_truth_and_every_kpi_after_the_rollup_is_plausible(seeded):
    now = timezone.now()
    assert now == NOW
    call_command("rollup_analytics", "--from", (now - timedelta(days=31)).date().isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115

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


# --- README: its sample posts answer, against the demo data, what it prints -------------------

IDS = ("lead_id", "contact_id")


def readme_samples():
    """(curl command, printed status, printed answer) for each `curl -X POST` block of README
    followed by its answer."""
    text = README.read_text()
    pattern = re.compile(r"```sh\n(curl -X POST .*?)```\s*\n(?:[^`]*?`(\d{3})`[^`]*?)?```json\n(.*?)```", re.S)
    return [(curl, int(status or 201), json.loads(answer)) for curl, status, answer in pattern.findall(text)]


def curl_request(curl):
    """(path, headers, body) of a README curl line."""
    path = re.search(r"http://127\.0\.0\.1:8000(/\S+)", curl).group(1)
    headers = dict(re.findall(r"-H '([^:]+): ([^']*)'", curl))
    body = json.loads(re.search(r"-d '(.*?)'", curl, re.S).group(1))
    return path, headers, body


def without_ids(answer):
    return {key: value for key, value in answer.items() if key not in IDS}


def test_readme_sample_posts_answer_what_readme_prints(seeded):
    samples = readme_samples()
    assert len(samples) >= 2, "README shows a sold post and a held one"
    assert samples[0][2]["disposition"]["sold"] is True, "the quick start's lead sells"
    for curl, status, printed in samples:
        path, headers, body = curl_request(curl)
        assert headers["X-Api-Key"] == demo_provider_key(headers["X-Provider-Id"])
        response = Client().post(path, data=json.dumps(body), content_type=headers.pop("Content-Type"),
                                 headers=headers)
        answer = response.json()
        assert response.status_code == status, answer
        assert without_ids(answer) == without_ids(printed)
        assert all(isinstance(answer[key], int) for key in IDS)

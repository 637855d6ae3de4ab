"""Demo data for a first run: workspaces, providers, webhooks and a few hundred realistic leads
with a month of history behind them.

Every row is made by the services production traffic uses (ingest, assignment, the working
fields, appointment intake and its status machine, conversions), in time order: each lead
arrives at its moment of the last 30 days and its later steps happen after it, never after now.
Idempotent: fixed ids and fixed demo keys; leads are posted with fixed custom lead ids, so a
second run replays them and does nothing else.
"""
import random
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import phonenumbers
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from appointments.models import Appointment, Outcome
from appointments.services import appointment_intake, appointment_status_change
from contacts.models import Contact
from conversions.models import Conversion
from conversions.services import conversion_create
from leadhub.actors import SYSTEM
from leadhub.keys import key_digest
from leads.models import Lead
from leads.services.assignment import lead_assign
from leads.services.ingest import lead_ingest
from leads.services.working import lead_update
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.models import AppointmentRoutingRule, Workspace

DEMO_LEAD_ID_BASE = 9_000_000
LEADS_PER_WEBHOOK = 100
HISTORY_DAYS = 30
# "admin" is ensure_admin's default user, so its "My follow-ups" has work on the first login.
ASSIGNEES = ["admin", "maria.ortiz", "sam.chen"]

WORKSPACES = [
    # id, name, scopes, ZIPs served, products
    ("sunrise-solar", "Sunrise Solar Installers", ["94105", "94107", "94110", "94117", "94122"], ["Solar"]),
    ("coolair-hvac", "CoolAir Heating & Cooling", ["60601", "60605", "60611", "60614", "60622"], ["HVAC", "Heat Pump"]),
    ("shield-insurance", "Shield Home Insurance Agency", ["10001", "10011", "10016", "10019", "10023"], ["Insurance"]),
]
ALL_SCOPES = [
    "leads:read", "leads:write", "contacts:read", "appointments:read", "appointments:write",
    "conversions:read", "conversions:write", "analytics:read",
]
PROVIDERS = [
    ("demo-leadgen", "LeadGen Partners (demo)", None),
    ("demo-solarclicks", "SolarClicks Media (demo)", ["solar-demo"]),
]
WEBHOOKS = [
    ("solar-demo", "Solar leads (demo)", "solar", "415", ["94105", "94107", "94110", "94117", "94122"], "CA"),
    ("hvac-demo", "HVAC leads (demo)", "hvac", "312", ["60601", "60605", "60611", "60614", "60622"], "IL"),
    ("insurance-demo", "Insurance leads (demo)", "insurance", "212", ["10001", "10011", "10016", "10019", "10023"], "NY"),
]
FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Maria"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Lee"]
STREETS = ["Main St", "Oak Ave", "Pine St", "Maple Dr", "Cedar Ln", "Elm St", "Lake View Rd", "Sunset Blvd"]


def demo_provider_key(provider_id):
    return f"lhp_demo_{provider_id}"


def demo_workspace_key(workspace_id):
    return f"lh_live_demo_{workspace_id}"


def valid_demo_phone(rng, area_code):
    while True:
        number = f"+1{area_code}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if number[5:8] != "555" and phonenumbers.is_valid_number(phonenumbers.parse(number)):
            return number


def vertical_fields(rng, lead_type):
    if lead_type == "solar":
        return {"monthly_electric_bill": str(rng.randint(80, 450)), "roof_age": rng.randint(1, 30),
                "roof_condition": rng.choice(["excellent", "good", "fair"]), "shade_coverage": rng.choice(["none", "partial"]),
                "property_type": "single_family", "productid": "Solar"}
    if lead_type == "hvac":
        return {"system_age": rng.randint(1, 25), "urgency": rng.choice(["immediate", "within_week", "within_month"]),
                "service_type": rng.choice(["repair", "replacement", "installation"]), "property_size": rng.randint(900, 4000),
                "productid": "HVAC"}
    return {"policy_type": rng.choice(["homeowners", "renters", "condo"]), "coverage_amount": str(rng.randint(150, 900) * 1000),
            "current_premium": str(rng.randint(600, 3200)), "property_value": str(rng.randint(200, 1500) * 1000),
            "productid": "Insurance"}


@contextmanager
def demo_clock(moment):
    """Run the services as if at `moment`: they and every auto-stamped column read
    django.utils.timezone.now, so a demo month gets truthful timestamps in one run."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


class Command(BaseCommand):
    help = "Create idempotent demo data (a month of history) and print the demo keys."

    def handle(self, *args, **options):
        with transaction.atomic():
            workspaces = self._workspaces()
            providers = self._providers()
            webhooks = self._webhooks()
            created = self._leads(webhooks, providers[0], workspaces)
        self._print_summary(created)

    def _workspaces(self):
        workspaces = {}
        for workspace_id, name, zips, products in WORKSPACES:
            workspace, _ = Workspace.objects.update_or_create(
                id=workspace_id,
                defaults={"name": name, "permissions": ALL_SCOPES, "is_active": True,
                          "api_key": key_digest(demo_workspace_key(workspace_id)), "metadata": {"demo": True}},
            )
            AppointmentRoutingRule.objects.update_or_create(
                workspace=workspace, notes="demo rule",
                defaults={"zip_codes": zips, "product_types": products, "priority": 1, "created_by": SYSTEM},
            )
            workspaces[workspace_id] = workspace
        return workspaces

    def _providers(self):
        providers = []
        for provider_id, name, allowed in PROVIDERS:
            provider, _ = LeadSourceProvider.objects.update_or_create(
                provider_id=provider_id,
                defaults={"provider_name": name, "company_name": name, "allowed_webhooks": allowed,
                          "api_key": key_digest(demo_provider_key(provider_id)), "notes": "Demo provider"},
            )
            providers.append(provider)
        return providers

    def _webhooks(self):
        webhooks = []
        for webhook_id, name, lead_type, *_ in WEBHOOKS:
            webhook, _ = WebhookConfig.objects.get_or_create(
                webhook_id=webhook_id, defaults={"name": name, "lead_type": lead_type, "description": "Demo webhook"}
            )
            webhooks.append(webhook)
        return webhooks

    def _leads(self, webhooks, provider, workspaces):
        """Leads arrive across the last HISTORY_DAYS, the three webhooks interleaved."""
        now = timezone.now()
        start = now - timedelta(days=HISTORY_DAYS)
        total = LEADS_PER_WEBHOOK * len(WEBHOOKS)
        workspace_for = {"solar": workspaces["sunrise-solar"], "hvac": workspaces["coolair-hvac"],
                         "insurance": workspaces["shield-insurance"]}
        rngs = [random.Random(index) for index in range(len(WEBHOOKS))]
        # separate streams: payloads must not depend on what a run did
        work_rngs = [random.Random(1000 + index) for index in range(len(WEBHOOKS))]
        phones = [[valid_demo_phone(rng, area) for _ in range(LEADS_PER_WEBHOOK * 3 // 4)]
                  for rng, (*_, area, _zips, _state) in zip(rngs, WEBHOOKS, strict=False)]
        created = 0
        for n in range(LEADS_PER_WEBHOOK):
            for index, (webhook, (_, _, lead_type, _area, zips, state)) in enumerate(zip(webhooks, WEBHOOKS, strict=False)):
                rng = rngs[index]
                lead_id = DEMO_LEAD_ID_BASE + index * 1000 + n
                first, last = rng.choice(FIRST), rng.choice(LAST)
                payload = {
                    "lead_id": lead_id, "first_name": first, "last_name": last,
                    "email": f"{first.lower()}.{last.lower()}{n}@example.com",
                    "phone": rng.choice(phones[index]),  # some people come back: repeated phones dedupe to one contact
                    "address": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}", "city": "Demo City", "state": state,
                    "zip_code": rng.choice(zips), "source": "demo", "utm_source": rng.choice(["google", "facebook", "bing"]),
                    "consent_value": rng.random() > 0.1, "tcpa_compliance": True,
                    "consent_description": "I agree to be contacted about home services.",
                    **vertical_fields(rng, lead_type),
                }
                received = start + (now - start) * (n * len(WEBHOOKS) + index) / total
                with demo_clock(received):
                    result = lead_ingest(webhook=webhook, payload=payload, provider=provider,
                                         ip_address="127.0.0.1", user_agent="seed_demo")
                if not result.created:
                    continue
                created += 1
                self._work_lead(work_rngs[index], result.lead, workspace_for[lead_type], webhook, provider,
                                received=received, now=now)
        return created

    def _work_lead(self, rng, lead, workspace, webhook, provider, *, received, now):
        """What a real month does to a lead after it arrives: most are assigned and worked by a
        rep, some get an appointment (confirmed, then completed once its time has passed), and
        some convert. A step whose moment is still in the future has not happened."""
        if lead.held_for_consent or rng.random() < 0.2:
            return
        moment = received + timedelta(minutes=rng.randint(5, 90))
        with demo_clock(moment):
            lead = lead_assign(lead=lead, workspace=workspace, by=SYSTEM)
        assignee = rng.choice(ASSIGNEES)
        moment += timedelta(hours=rng.randint(1, 6))
        if moment < now:
            with demo_clock(moment):
                lead = lead_update(lead=lead, by=f"workspace:{workspace.pk}", workspace=workspace, data={
                    "assigned_to": assignee, "priority": rng.randint(1, 5),
                    "follow_up_date": moment + timedelta(days=rng.randint(1, 10)),
                })
        completed_at = None
        if rng.random() < 0.4 and (moment := moment + timedelta(hours=rng.randint(1, 24))) < now:
            scheduled_at = (moment + timedelta(days=rng.randint(1, 10))).replace(
                hour=rng.randint(15, 23), minute=0, second=0, microsecond=0
            )
            with demo_clock(moment):
                appointment = appointment_intake(webhook=webhook, provider=provider, ip_address="127.0.0.1", payload={
                    "lead_id": lead.pk, "scheduled_at": scheduled_at.isoformat(), "assigned_to": assignee,
                    "appointment_type": rng.choice(["consultation", "estimate"]),
                    "estimated_value": str(rng.randint(2, 30) * 1000),
                }).appointment
            confirmed = max(moment, scheduled_at - timedelta(days=1))
            if confirmed < now:
                with demo_clock(confirmed):
                    appointment_status_change(appointment=appointment, new_status="confirmed", changed_by=assignee)
            done = scheduled_at + timedelta(hours=2)
            if done < now:
                outcome = rng.choice(Outcome.values)
                with demo_clock(done):
                    appointment_status_change(
                        appointment=appointment, new_status="completed", changed_by=assignee, outcome=outcome,
                        next_action="Call back with a quote" if outcome == Outcome.NEEDS_FOLLOW_UP else "",
                        next_action_date=done + timedelta(days=2) if outcome == Outcome.NEEDS_FOLLOW_UP else None,
                    )
                if outcome != Outcome.NOT_INTERESTED:
                    completed_at = done
        converted_at = (completed_at or moment) + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 8))
        if (completed_at or rng.random() < 0.15) and rng.random() < 0.6 and converted_at < now:
            with demo_clock(converted_at):
                conversion_create(
                    workspace=workspace, lead=lead, converted_by=assignee, created_by=f"workspace:{workspace.pk}",
                    conversion_type=rng.choice(["sale", "proposal", "contract", "qualified"]),
                    conversion_value=Decimal(rng.randint(5, 400) * 100), converted_at=converted_at,
                )

    def _print_summary(self, created):
        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo data ready ({created} new leads; {Lead.objects.count()} leads, "
                               f"{Contact.objects.count()} contacts, {Appointment.objects.count()} appointments, "
                               f"{Conversion.objects.count()} conversions)."))
        out("Demo provider keys (DEMO ONLY — rotate with `manage.py provider_key <id>`):")
        for provider_id, *_ in PROVIDERS:
            out(f"  X-Provider-Id: {provider_id}   X-Api-Key: {demo_provider_key(provider_id)}")
        out("Demo workspace keys (DEMO ONLY — rotate with `manage.py workspace_key <id>`):")
        for workspace_id, *_ in WORKSPACES:
            out(f"  {workspace_id}: Authorization: Bearer {demo_workspace_key(workspace_id)}")
        out("Try: curl -X POST http://127.0.0.1:8000/api/v1/webhooks/solar-demo/leads/ "
            "-H 'Content-Type: application/json' -H 'X-Provider-Id: demo-leadgen' "
            f"-H 'X-Api-Key: {demo_provider_key('demo-leadgen')}' "
            "-d '{\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":\"ada@example.com\","
            "\"phone\":\"(415) 867-5309\",\"consent_value\":true,\"tcpa_compliance\":true}'")

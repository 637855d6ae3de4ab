"""Demo data for a first run: a month of a lead business, its last week rich, so a newcomer sees
every part of the product at work.

Three sources post to seven webhooks (each distribution strategy on one or two; fixed and share payouts,
booked on `accepted` and on `sold`) and five buyers buy through priced offers with exclusive
prices, price adjustments, caps (count and spend, per day and per week) and schedules (closed
at night, so decisions show `schedule_closed`). Leads are posted through the real ingest, so the
engine decides, sells and books the ledger; some posts lack consent and are held, ops release
one; ops sell some unsold leads by hand; buyers work their leads, providers book appointments
(routed by the buyers' priced routing rules), reps confirm and complete them, and conversions
follow. One buyer (Keystone) points its outbound webhook at an endpoint that refuses every
connection for a day: its deliveries are retried by the outbox until they finally fail, the
sales are credited (`undelivered`) and the leads sold again to others. The analytics rollup
runs last.

Every row is made by the services production uses, in time order: one queue of steps ordered
by their moment, each run as if at that moment (`demo_clock`) in its own transaction, so what
production does after a commit (a delivery, a lead offered again) happens at that moment too;
before each step the outbox sweep runs, as beat would. Nothing happens after now. Celery runs
in-process for the command (the demo is its own worker), whatever the settings say.

Idempotent: fixed ids, names and demo keys; leads are posted with fixed references, so a
second run replays them and does nothing else (the story's steps follow only leads this run
created). Refuses production settings: it creates providers and buyers whose keys are public.
"""
import heapq
import itertools
import logging
import random
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from analytics.services import lead_analytics_rollup
from appointments.models import Appointment, Outcome
from appointments.services.intake import appointment_intake
from appointments.services.status import appointment_status_change
from contacts.models import Contact
from conversions.models import Conversion
from conversions.services.create import conversion_create
from distribution.hand import HandSaleInvalid, lead_sell_by_hand
from distribution.models import Cap, Decision, Offer, OfferPriceAdjustment, Sale
from leadhub.actors import SYSTEM
from leadhub.errors import ServiceRefusal
from leadhub.keys import key_digest
from leads.holds import CONSENT, lead_hold_release
from leads.models import Lead
from leads.services.ingest import lead_ingest
from leads.services.working import lead_update
from ledger.models import Entry
from providers.models import LeadSourceProvider, WebhookConfig
from workspaces.delivery import outbox_sweep
from workspaces.models import AppointmentRoutingRule, Scope, Workspace
from workspaces.services import workspace_webhook_update

# The providers' own lead references (`lead_id` in the posts). The month-of-three-webhooks demo
# before this one used 9_000_000 + …; a database seeded by it keeps those leads, and these never
# collide with them (a reference posted again with other values is a 409).
DEMO_LEAD_ID_BASE = 9_100_000
HISTORY_DAYS = 30
RICH_DAYS = 7
# "admin" is ensure_admin's default user, so its "My follow-ups" has work on the first login.
ASSIGNEES = ["admin", "maria.ortiz", "sam.chen"]
OPS = "staff:admin"
# How often the demo's beat sweeps the outbox (retries are due a minute to hours apart).
SWEEP_EVERY = timedelta(minutes=5)

SOLAR_ZIPS = ["94105", "94107", "94110", "94117", "94122"]
HVAC_ZIPS = ["60601", "60605", "60611", "60614", "60622"]
INSURANCE_ZIPS = ["10001", "10011", "10016", "10019", "10023"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

WORKSPACES = [
    # id, name, time zone, (appointment routing rule: ZIPs, products, appointment price) or None
    ("sunrise-solar", "Sunrise Solar Installers", "America/Los_Angeles", (SOLAR_ZIPS, ["Solar"], "150.00")),
    ("coolair-hvac", "CoolAir Heating & Cooling", "America/Chicago", (HVAC_ZIPS, ["HVAC", "Heat Pump"], "90.00")),
    ("shield-insurance", "Shield Home Insurance Agency", "America/New_York", (INSURANCE_ZIPS, ["Insurance"], "60.00")),
    ("brightside-energy", "Brightside Energy Partners", "America/Denver", None),
    ("keystone-home", "Keystone Home Services", "America/New_York", None),
]
# Keystone's CRM endpoint for a day and a half of the demo week: a local port nothing listens on,
# so every delivery is refused at once and the outbox retries it until it finally fails (after
# OUTBOUND_WEBHOOK_MAX_ATTEMPTS, about a day).
KEYSTONE = "keystone-home"
KEYSTONE_BROKEN_URL = "http://127.0.0.1:9/keystone-crm/leads"
KEYSTONE_BROKEN_HOURS = 40

PROVIDERS = [
    ("demo-leadgen", "LeadGen Partners (demo)", None),
    ("demo-solarclicks", "SolarClicks Media (demo)", ["solar-demo", "solar-multisell-demo", "solar-auction-demo"]),
    ("demo-homequotes", "HomeQuotes Network (demo)",
     ["hvac-demo", "hvac-weighted-demo", "insurance-demo", "insurance-shared-demo"]),
]
FIXED, SHARE = "fixed", "share"
WEBHOOKS = [
    # id, name, type, area code, ZIPs, state, strategy, (payout kind, amount or share %, payout_on),
    # provider, leads before the last week, leads in the last week
    ("solar-demo", "Solar leads (demo)", "solar", "415", SOLAR_ZIPS, "CA", "priority",
     (FIXED, "12.00", "accepted"), "demo-leadgen", 40, 70),
    ("solar-multisell-demo", "Solar shared leads (demo)", "solar", "415", SOLAR_ZIPS, "CA", "multisell",
     (SHARE, "40.00", "sold"), "demo-solarclicks", 25, 55),
    ("solar-auction-demo", "Solar leads to the best bid (demo)", "solar", "415", SOLAR_ZIPS, "CA", "highest_price",
     (FIXED, "15.00", "sold"), "demo-solarclicks", 20, 45),
    ("hvac-demo", "HVAC leads (demo)", "hvac", "312", HVAC_ZIPS, "IL", "round_robin",
     (FIXED, "9.00", "accepted"), "demo-homequotes", 35, 60),
    ("hvac-weighted-demo", "HVAC leads, weighted (demo)", "hvac", "312", HVAC_ZIPS, "IL", "weighted",
     (SHARE, "35.00", "sold"), "demo-leadgen", 20, 45),
    ("insurance-demo", "Insurance leads (demo)", "insurance", "212", INSURANCE_ZIPS, "NY", "priority",
     (FIXED, "6.00", "sold"), "demo-homequotes", 35, 55),
    ("insurance-shared-demo", "Insurance leads to every match (demo)", "insurance", "212", INSURANCE_ZIPS, "NY",
     "all_matches", (SHARE, "30.00", "sold"), "demo-homequotes", 20, 45),
]
# The buyer ops sell an unsold lead of each type to by hand, and the price they agree when no
# offer of that buyer takes the lead.
HAND_PRICE = Decimal("10.00")
HOME_WORKSPACE = {"solar": "sunrise-solar", "hvac": "coolair-hvac", "insurance": "shield-insurance"}


def _week(start, end, saturday=None):
    schedule = {day: [[start, end]] for day in WEEKDAYS}
    if saturday:
        schedule["sat"] = [list(saturday)]
    return schedule


OFFERS = [
    # workspace, name, fields, price adjustments [(column, op, value, amount)], caps [(window, measure, maximum)]
    ("sunrise-solar", "SF solar, daytime", dict(
        products=["solar"], zip_codes=SOLAR_ZIPS, priority=3, price="45.00", exclusive_price="110.00",
        duplicate_days=30, schedule=_week("07:00", "20:00", saturday=("08:00", "14:00")),
    ), [("monthly_electric_bill", "gte", "250", "10.00")], [("day", "count", "10")]),
    ("coolair-hvac", "Chicago HVAC", dict(
        products=["hvac"], zip_codes=HVAC_ZIPS, priority=2, weight=3, price="35.00",
    ), [("urgency", "eq", "immediate", "15.00")], [("week", "spend", "1200.00")]),
    ("shield-insurance", "NYC home insurance, office hours", dict(
        products=["insurance"], zip_codes=INSURANCE_ZIPS, priority=2, price="22.00", exclusive_price="40.00",
        schedule=_week("08:00", "20:00"),
    ), [], [("week", "count", "60")]),
    ("brightside-energy", "Solar, anywhere", dict(
        products=["solar"], priority=1, price="30.00", exclusive_price="75.00",
    ), [], []),
    ("brightside-energy", "Illinois HVAC", dict(
        products=["hvac"], states=["IL"], priority=1, weight=1, price="28.00",
    ), [], [("day", "count", "4")]),
    ("keystone-home", "California solar", dict(
        products=["solar"], states=["CA"], priority=2, price="38.00",
    ), [("roof_age", "gte", "20", "-8.00")], []),
    ("keystone-home", "Illinois HVAC", dict(
        products=["hvac"], states=["IL"], priority=2, weight=2, price="32.00",
    ), [], []),
    ("keystone-home", "New York insurance", dict(
        products=["insurance"], states=["NY"], priority=1, price="25.00",
    ), [], []),
]
# Keystone's cap on what it spends a day across its offers (a buyer cap: no offer named).
BUYER_CAPS = [("keystone-home", "day", "spend", "300.00")]

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
    """A valid NANP number outside 555 and 867 (README's sample posts use 867-5309 and 867-5310,
    so they always arrive as new contacts)."""
    while True:
        number = f"+1{area_code}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if number[5:8] not in ("555", "867") and phonenumbers.is_valid_number(phonenumbers.parse(number)):
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


def arrival_moment(rng, low, high):
    """A moment in [low, high), mostly between 7:00 and 23:00 in Chicago."""
    while True:
        at = low + (high - low) * rng.random()
        if 7 <= at.astimezone(ZoneInfo("America/Chicago")).hour <= 22 or rng.random() < 0.25:
            return at


@contextmanager
def demo_clock(moment):
    """Run the services as if at `moment`: they and every auto-stamped column read
    django.utils.timezone.now, so a demo month gets truthful timestamps in one run."""
    with mock.patch.object(timezone, "now", return_value=moment):
        yield


@contextmanager
def tasks_in_process():
    """Celery tasks (deliveries) run in this process when queued: the demo is its own worker, so
    a delivery happens at its demo moment whether or not a broker is configured."""
    from leadhub.celery import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        yield
    finally:
        app.conf.task_always_eager = saved


@contextmanager
def quick_sqlite_commits():
    """Each demo step commits on its own (so what follows a commit happens at its moment). On
    SQLite, while seeding, this connection keeps its rollback journal in memory and skips the
    fsync of each commit: thousands of small commits then cost no disk round trips (a crash
    mid-seed may cost the demo file, nothing else). Both settings end with the command."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:  # a caller's transaction: its own settings
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        (synchronous,) = cursor.fetchone()
        cursor.execute("PRAGMA journal_mode")
        (journal_mode,) = cursor.fetchone()
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA journal_mode = MEMORY")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA journal_mode = {journal_mode}")
            cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")


@contextmanager
def quiet_task_log():
    """The demo's in-process deliveries would log one line each; the summary says what happened."""
    trace = logging.getLogger("celery.app.trace")
    saved = trace.level
    trace.setLevel(logging.WARNING)
    try:
        yield
    finally:
        trace.setLevel(saved)


class Timeline:
    """Steps ordered by their moment (ties in the order they were added). Each runs as if at its
    moment in its own transaction, after the outbox sweep beat would have run by then (every
    SWEEP_EVERY of demo time); a step may add later steps. A step due after `now` has not
    happened and is dropped."""

    def __init__(self, now):
        self.now = now
        self._queue = []
        self._order = itertools.count()

    def at(self, moment, step, *args):
        if moment <= self.now:
            heapq.heappush(self._queue, (moment, next(self._order), step, args))

    def run(self):
        swept = None
        while self._queue:
            moment, _n, step, args = heapq.heappop(self._queue)
            with demo_clock(moment), transaction.atomic():
                if swept is None or moment - swept >= SWEEP_EVERY:
                    outbox_sweep()
                    swept = moment
                step(moment, *args)


class Command(BaseCommand):
    help = "Create idempotent demo data (a month of a lead business, its last week rich) and print the demo keys."

    def handle(self, *args, **options):
        if getattr(settings, "PRODUCTION", False):
            raise CommandError(
                "seed_demo refuses to run with production settings (DJANGO_ENV=production): it creates demo "
                "providers and buyers whose API keys are printed in the README, and a month of invented leads "
                "and money. Run it only against a development or embedded database."
            )
        now = timezone.now()
        start = now - timedelta(days=HISTORY_DAYS)
        with tasks_in_process(), quick_sqlite_commits(), quiet_task_log():
            with demo_clock(start - timedelta(days=1)), transaction.atomic():
                workspaces = self._workspaces()
                providers = self._providers()
                webhooks = self._webhooks()
                self._offers(workspaces)
            fresh = not Lead.objects.filter(webhook_id=WEBHOOKS[0][0], external_id=str(DEMO_LEAD_ID_BASE)).exists()
            timeline = self._timeline = Timeline(now)
            self.created = 0
            self.held_in_week = 0
            self._arrivals(timeline, webhooks, providers, workspaces, start=start, now=now)
            if fresh:
                self._keystone_story(timeline, workspaces[KEYSTONE], now=now)
            timeline.run()
            with transaction.atomic():
                outbox_sweep()  # what is due by now, as beat would
        lead_analytics_rollup(date_from=(start - timedelta(days=1)).date(), date_to=now.date())
        self._print_summary(self.created)

    # --- who is who -----------------------------------------------------------------------------

    def _workspaces(self):
        workspaces = {}
        for workspace_id, name, zone, rule in WORKSPACES:
            workspace, _ = Workspace.objects.update_or_create(
                id=workspace_id,
                defaults={"name": name, "permissions": Scope.values, "is_active": True, "time_zone": zone,
                          "api_key": key_digest(demo_workspace_key(workspace_id)), "metadata": {"demo": True},
                          # Keystone's broken endpoint must fail within its day and a half: a
                          # buyer that calls consumers would see its night's deliveries wait.
                          "calls_consumers": workspace_id != KEYSTONE},
            )
            if rule is not None:
                zips, products, appointment_price = rule
                routing_rule, _ = AppointmentRoutingRule.objects.update_or_create(
                    workspace=workspace, notes="demo rule",
                    defaults={"zip_codes": zips, "product_types": products, "priority": 1, "created_by": SYSTEM},
                )
                offer = Offer.objects.get(routing_rule=routing_rule)
                if offer.appointment_price != Decimal(appointment_price):  # ops price the rule's offer
                    offer.appointment_price, offer.zero_price_reason = Decimal(appointment_price), ""
                    offer.full_clean()
                    offer.save(update_fields=["appointment_price", "zero_price_reason", "updated_at"])
            workspaces[workspace_id] = workspace
        return workspaces

    def _providers(self):
        providers = {}
        for provider_id, name, allowed in PROVIDERS:
            provider, _ = LeadSourceProvider.objects.update_or_create(
                provider_id=provider_id,
                defaults={"provider_name": name, "company_name": name, "allowed_webhooks": allowed,
                          "api_key": key_digest(demo_provider_key(provider_id)), "notes": "Demo provider"},
            )
            providers[provider_id] = provider
        return providers

    def _webhooks(self):
        webhooks = {}
        for webhook_id, name, lead_type, _area, _zips, _state, strategy, payout, *_ in WEBHOOKS:
            kind, amount, payout_on = payout
            webhook, _ = WebhookConfig.objects.get_or_create(webhook_id=webhook_id, defaults={
                "name": name, "lead_type": lead_type, "description": "Demo webhook",
            })
            terms = {"distribution_strategy": strategy, "payout_kind": kind, "payout_on": payout_on,
                     "payout_amount": Decimal(amount) if kind == FIXED else Decimal("0"),
                     "payout_share": Decimal(amount) if kind == SHARE else Decimal("0")}
            if any(getattr(webhook, name) != value for name, value in terms.items()):
                for name, value in terms.items():
                    setattr(webhook, name, value)
                webhook.full_clean()
                webhook.save(update_fields=[*terms, "updated_at"])
            webhooks[webhook_id] = webhook
        return webhooks

    def _offers(self, workspaces):
        """The buyers' lead offers, made once (as ops would in the admin: validated, then saved)."""
        for workspace_id, name, fields, adjustments, caps in OFFERS:
            if Offer.objects.filter(workspace_id=workspace_id, name=name).exists():
                continue
            values = {key: Decimal(value) if key.endswith("price") else value for key, value in fields.items()}
            offer = Offer(workspace=workspaces[workspace_id], name=name, kind="lead", **values)
            offer.full_clean()
            offer.save()
            for column, op, value, amount in adjustments:
                adjustment = OfferPriceAdjustment(offer=offer, column=column, op=op, value=value, amount=Decimal(amount))
                adjustment.full_clean()
                adjustment.save()
            for window, measure, maximum in caps:
                self._cap(workspaces[workspace_id], offer, window, measure, maximum)
        for workspace_id, window, measure, maximum in BUYER_CAPS:
            if not Cap.objects.filter(workspace_id=workspace_id, offer=None, window=window, measure=measure).exists():
                self._cap(workspaces[workspace_id], None, window, measure, maximum)

    @staticmethod
    def _cap(workspace, offer, window, measure, maximum):
        cap = Cap(workspace=workspace, offer=offer, window=window, measure=measure, maximum=Decimal(maximum))
        cap.full_clean()
        cap.save()

    # --- the leads ------------------------------------------------------------------------------

    def _arrivals(self, timeline, webhooks, providers, workspaces, *, start, now):
        """Each webhook's leads arrive at their moments: a few a day for the month, many a day in
        the last week, mostly in the daytime (some at night, when some offers are closed).
        Payloads depend only on the webhook's own random stream, never on when the seed runs."""
        week_start = now - timedelta(days=RICH_DAYS)
        for index, (webhook_id, _n, lead_type, area, zips, state, _s, _p, provider_id, old, recent) in enumerate(WEBHOOKS):
            rng, when = random.Random(index), random.Random(500 + index)
            phones = [valid_demo_phone(rng, area) for _ in range((old + recent) * 3 // 4)]
            moments = sorted(arrival_moment(when, start, week_start) for _ in range(old))
            moments += sorted(arrival_moment(when, week_start, now - timedelta(minutes=10)) for _ in range(recent))
            for n, received in enumerate(moments):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                payload = {
                    "lead_id": DEMO_LEAD_ID_BASE + index * 1000 + n, "first_name": first, "last_name": last,
                    "email": f"{first.lower()}.{last.lower()}{n}@example.com",
                    "phone": rng.choice(phones),  # some people come back: repeated phones dedupe to one contact
                    "address": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}", "city": "Demo City", "state": state,
                    "zip_code": rng.choice(zips), "source": "demo", "utm_source": rng.choice(["google", "facebook", "bing"]),
                    "consent_value": rng.random() > 0.08, "tcpa_compliance": True,
                    "consent_description": "I agree to be contacted about home services.",
                    **vertical_fields(rng, lead_type),
                }
                timeline.at(received, self._arrive, webhooks[webhook_id], providers[provider_id], payload,
                            workspaces[HOME_WORKSPACE[lead_type]], received >= week_start)

    def _arrive(self, moment, webhook, provider, payload, home, in_week):
        """The provider posts the lead; the engine sells it (or not) as it arrives."""
        result = lead_ingest(webhook=webhook, payload=payload, provider=provider,
                             ip_address="127.0.0.1", user_agent="seed_demo")
        if not result.created:
            return
        self.created += 1
        lead = result.lead
        rng = random.Random(payload["lead_id"])  # this lead's own choices, whatever the order of others
        later = self._later
        if lead.hold_reasons:
            if in_week:
                self._held(moment, lead, webhook, provider)
            return
        later(moment + timedelta(minutes=rng.randint(5, 90)), self._pick_up, lead.pk, webhook, provider, home, rng)

    def _held(self, moment, lead, webhook, provider):
        """Held for consent: the first of the week gets an appointment that waits for it, and ops
        release it three hours later (it is then sold and the appointment routed); the second's
        appointment keeps waiting; the rest stay held."""
        self.held_in_week += 1
        nth = self.held_in_week
        if nth in (1, 2):
            self._later(moment + timedelta(minutes=20), self._book, lead.pk, webhook, provider, random.Random(lead.pk))
        if nth == 1:
            self._later(moment + timedelta(hours=3), self._release, lead.pk)

    def _release(self, moment, lead_id):
        lead_hold_release(lead=Lead.objects.get(pk=lead_id), reason=CONSENT, by=OPS,
                          note="Consent confirmed on a recorded call.")

    def _pick_up(self, moment, lead_id, webhook, provider, home, rng):
        """The lead's buyer starts on it; an unsold lead is sold by hand by ops half the time (the
        rest stay in the unsold queue): at the buyer's best offer that takes it, else at a price
        ops agreed on the phone; a buyer whose cap is full does not get it."""
        lead = Lead.objects.get(pk=lead_id)
        if lead.workspace_id is None:
            if rng.random() < 0.5:
                return
            try:
                try:
                    lead_sell_by_hand(lead=lead, workspace=home, by=OPS, at=moment)
                except HandSaleInvalid:  # no offer of the buyer takes it now
                    lead_sell_by_hand(lead=lead, workspace=home, by=OPS, at=moment, price=HAND_PRICE,
                                      reason="agreed with the buyer on the phone")
            except ServiceRefusal:
                return
        self._later(moment + timedelta(hours=rng.randint(1, 6)), self._work, lead_id, webhook, provider, rng)

    def _work(self, moment, lead_id, webhook, provider, rng):
        """A rep of the lead's holder takes it; some get an appointment, some convert."""
        lead = Lead.objects.get(pk=lead_id)
        holder = lead.workspace
        if holder is None:  # its delivery failed meanwhile and nobody took it again
            return
        assignee = rng.choice(ASSIGNEES)
        lead_update(lead=lead, by=f"workspace:{holder.pk}", workspace=holder, data={
            "assigned_to": assignee, "priority": rng.randint(1, 5),
            "follow_up_date": moment + timedelta(days=rng.randint(1, 10)),
        })
        if rng.random() < 0.4:
            self._later(moment + timedelta(hours=rng.randint(1, 24)), self._book, lead_id, webhook, provider, rng,
                        assignee)
        elif rng.random() < 0.12:
            self._later(moment + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 8)), self._convert, lead_id,
                        rng, assignee)

    def _book(self, moment, lead_id, webhook, provider, rng, assignee=None):
        """The provider books an appointment for its lead; routing (the buyers' priced routing
        rules) decides who gets it. It is confirmed the day before and completed once its time
        has passed."""
        assignee = assignee or rng.choice(ASSIGNEES)
        scheduled_at = (moment + timedelta(days=rng.randint(1, 10))).replace(
            hour=rng.randint(15, 23), minute=0, second=0, microsecond=0
        )
        appointment = appointment_intake(webhook=webhook, provider=provider, ip_address="127.0.0.1", payload={
            "lead_id": lead_id, "scheduled_at": scheduled_at.isoformat(), "assigned_to": assignee,
            "appointment_type": rng.choice(["consultation", "estimate"]),
            "estimated_value": str(rng.randint(2, 30) * 1000),
        }).appointment
        if appointment.matched_workspace_id is None:
            return  # waits for its lead's release, or nobody serves it
        self._later(max(moment + timedelta(minutes=1), scheduled_at - timedelta(days=1)), self._confirm,
                    appointment.pk, lead_id, rng, assignee)

    def _confirm(self, moment, appointment_id, lead_id, rng, assignee):
        appointment = appointment_status_change(appointment=Appointment.objects.get(pk=appointment_id),
                                                new_status="confirmed", changed_by=assignee)
        self._later(appointment.scheduled_at + timedelta(hours=2), self._complete, appointment_id, lead_id, rng, assignee)

    def _complete(self, moment, appointment_id, lead_id, rng, assignee):
        outcome = rng.choice(Outcome.values)
        follow_up = outcome == Outcome.NEEDS_FOLLOW_UP
        appointment_status_change(
            appointment=Appointment.objects.get(pk=appointment_id), new_status="completed", changed_by=assignee,
            outcome=outcome, next_action="Call back with a quote" if follow_up else "",
            next_action_date=moment + timedelta(days=2) if follow_up else None,
        )
        if outcome != Outcome.NOT_INTERESTED and rng.random() < 0.6:
            self._later(moment + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 8)), self._convert, lead_id,
                        rng, assignee)

    def _convert(self, moment, lead_id, rng, assignee):
        lead = Lead.objects.get(pk=lead_id)
        holder = lead.workspace
        if holder is None:
            return
        conversion_create(
            workspace=holder, lead=lead, converted_by=assignee, created_by=f"workspace:{holder.pk}",
            conversion_type=rng.choice(["sale", "proposal", "contract", "qualified"]),
            conversion_value=Decimal(rng.randint(5, 400) * 100), converted_at=moment,
        )

    def _keystone_story(self, timeline, keystone, *, now):
        """At midnight (New York) starting a weekday four days ago (the Friday before, if that was
        a weekend) Keystone points its webhook at its new CRM, whose endpoint refuses every
        connection; 40 hours later it goes back to reading leads through the API. What it bought
        that day (its daily spend cap fresh) is retried by the outbox until it finally fails, a
        day later: each sale is credited and its lead sold again to others. Its later deliveries
        are skipped once the URL is gone."""
        zone = ZoneInfo(keystone.time_zone)
        day = (now - timedelta(days=4)).astimezone(zone)
        day -= timedelta(days=max(day.weekday() - 4, 0))
        broken = day.replace(hour=0, minute=0, second=0, microsecond=0)
        timeline.at(broken, self._keystone_webhook, KEYSTONE_BROKEN_URL)
        timeline.at(broken + timedelta(hours=KEYSTONE_BROKEN_HOURS), self._keystone_webhook, "")

    def _keystone_webhook(self, moment, url):
        keystone = Workspace.objects.get(pk=KEYSTONE)
        workspace_webhook_update(workspace=keystone, outbound_webhook_url=url, webhook_active=bool(url),
                                 webhook_events=[])

    def _later(self, moment, step, *args):
        self._timeline.at(moment, step, *args)

    # --- the end --------------------------------------------------------------------------------

    def _print_summary(self, created):
        out = self.stdout.write
        entries = dict(Entry.objects.values_list("kind").annotate(n=Count("id")).order_by("kind"))
        forwards = dict(Appointment.objects.values_list("forward_status").annotate(n=Count("id"))
                        .order_by("forward_status"))
        out(self.style.SUCCESS(
            f"Demo data ready ({created} new leads; {Lead.objects.count()} leads, {Contact.objects.count()} contacts, "
            f"{Decision.objects.count()} decisions, {Sale.objects.count()} sales, "
            f"{Appointment.objects.count()} appointments, {Conversion.objects.count()} conversions)."
        ))
        out(f"Ledger entries by kind: {', '.join(f'{kind} {n}' for kind, n in entries.items()) or 'none'}.")
        forwards = ", ".join(f"{status or 'unrouted'} {n}" for status, n in forwards.items())
        out(f"Appointments by forward status: {forwards or 'none'}.")
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

"""Buyers' offers (what, where, which leads, when), their derived match rows, and decisions.

An offer's ZIP entries, states and radius are written as the buyer states them; `save()` derives
the indexed `OfferWhere` rows the engine reads (never the text), like workspaces' routing rules.
"""
import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction

from leadhub.models import MONEY, MONEY_MAX, CreatedAtModel, TimeStampedModel, choices_constraint
from leadhub.validators import validate_string_array
from leadhub.choices import US_STATES
from leads.models import Lead
from workspaces.models import ANY, AppointmentRoutingRule, LeadForwardingRule, Workspace
from workspaces.zips import ZipEntryKind, parse_zip_entry, product_keys

from .geo import zips_within


PRICE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(MONEY_MAX)]


class OfferKind(models.TextChoices):
    LEAD = "lead", "Leads"
    APPOINTMENT = "appointment", "Appointments"
    ANY = "any", "Leads and appointments"


class WhereKind(models.IntegerChoices):
    """How an offer covers a ZIP; the value is its rank on a tie (lower = more specific)."""

    EXACT = 0, "exact ZIP"
    RADIUS = 1, "radius"
    RANGE = 2, "ZIP range"
    PREFIX = 3, "3-digit prefix"
    STATE = 4, "state"
    ANY = 5, "any ZIP"


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_windows(text: str) -> list[list[str]]:
    """`"09:00-12:00, 13:00-17:30"` → [["09:00", "12:00"], ...]; `24:00` ends a day. ValueError names
    the bad window."""
    windows = []
    for part in re.split(r"[,;\s]+(?=\d)", (text or "").strip()):
        if not part:
            continue
        match = _WINDOW.match(part.strip())
        if not match:
            raise ValueError(f"'{part}' is not a time window: use 09:00-17:00.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
            raise ValueError(f"'{part}' is not a time of day.")
        if (h1, m1) >= (h2, m2):
            raise ValueError(f"'{part}': the window must end after it starts (split a night at 24:00).")
        windows.append([f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"])
    return windows


def validate_schedule(value):
    if not isinstance(value, dict) or set(value) - set(DAYS):
        raise ValidationError(f"A schedule maps days ({', '.join(DAYS)}) to time windows.")
    for _day, windows in value.items():
        parse_windows(", ".join(f"{a}-{b}" for a, b in windows))


def validate_dates(value):
    validate_string_array(value)
    bad = []
    for text in value:
        try:
            date.fromisoformat(text)
        except ValueError:
            bad.append(text)
    if bad:
        raise ValidationError(f"Not dates (use YYYY-MM-DD): {', '.join(bad)}.")


def split_entries(text: str) -> list[str]:
    """ZIP entries or states as typed: separated by commas, spaces or newlines; a range may be
    written with spaces around its dash."""
    text = re.sub(r"\s*-\s*", "-", text or "")
    return [part for part in re.split(r"[\s,;]+", text) if part]


def zero_priced(offer) -> list[str]:
    """The price fields of `offer` that are 0 for what it sells (a lead offer's `price`, an
    appointment offer's `appointment_price`, both for an offer of both)."""
    fields = []
    if offer.kind in (OfferKind.LEAD, OfferKind.ANY) and offer.price == 0:
        fields.append("price")
    if offer.kind in (OfferKind.APPOINTMENT, OfferKind.ANY) and offer.appointment_price == 0:
        fields.append("appointment_price")
    return fields


class Offer(TimeStampedModel):
    """What a buyer (workspace) buys, where, which leads and when.

    `routing_rule` names the appointment routing rule an appointment offer is made from: such an
    offer is kept equal to its rule by `distribution.receivers`, so the rule table keeps its
    meaning; `forwarding_rule` only names the rule a lead offer was migrated from. Leads are sold
    only by offers (no rule makes a lead offer), and nothing is sold at $0 by accident: a 0 price
    needs a `zero_price_reason`.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="offers")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=OfferKind.choices, default=OfferKind.LEAD)
    products = models.JSONField(
        default=list, blank=True, validators=[validate_string_array],
        help_text="Lead types (lead offers) or appointment product types; empty = any.",
    )
    zip_codes = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    states = models.JSONField(default=list, blank=True, validators=[validate_string_array])
    radius_zip = models.CharField(max_length=5, blank=True)
    radius_miles = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    schedule = models.JSONField(
        default=dict, blank=True, validators=[validate_schedule], help_text="Empty = open at all hours."
    )
    dates_off = models.JSONField(default=list, blank=True, validators=[validate_dates])
    priority = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)], help_text="Higher wins.")
    weight = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    is_active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Set when the buyer paused the offer.")
    price = models.DecimalField(**MONEY, default=Decimal("0"), validators=PRICE_VALIDATORS,
                                help_text="Per lead, shared (settings.LEDGER_CURRENCY), before adjustments.")
    appointment_price = models.DecimalField(**MONEY, default=Decimal("0"), validators=PRICE_VALIDATORS,
                                            help_text="Per appointment.")
    exclusive_price = models.DecimalField(
        **MONEY, null=True, blank=True, validators=PRICE_VALIDATORS,
        help_text="What the buyer pays to get a lead alone (multisell); empty = never exclusive.",
    )
    duplicate_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Do not sell this buyer the same phone twice within this many days; empty = no check.",
    )
    return_window_hours = models.PositiveIntegerField(
        default=72, validators=[MinValueValidator(1)],
        help_text="A buyer may return a lead this many hours after it was delivered to it (after the sale when "
                  "the buyer takes no deliveries).",
    )
    return_cap_count = models.PositiveIntegerField(
        null=True, blank=True,
        help_text="At most this many returns of this offer's leads per billing period (calendar month in the "
                  "buyer's time zone); empty = no limit.",
    )
    return_cap_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="At most this percent of the leads bought from this offer in the billing period may be "
                  "returned; empty = no limit.",
    )
    zero_price_reason = models.CharField(
        max_length=200, blank=True,
        help_text="Why this offer sells at $0 (required when its price is 0); ops see every $0 offer as a warning.",
    )
    routing_rule = models.OneToOneField(
        AppointmentRoutingRule, on_delete=models.CASCADE, null=True, blank=True, related_name="offer"
    )
    forwarding_rule = models.OneToOneField(
        LeadForwardingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="offer",
        help_text="The forwarding rule this lead offer was migrated from (history only: nothing keeps them equal).",
    )

    class Meta:
        db_table = "distribution_offers"
        ordering = ["-priority", "created_at", "id"]
        constraints = [choices_constraint("distribution_offers", "kind", OfferKind.choices)]

    def __str__(self):
        return self.name or f"offer #{self.pk} of {self.workspace_id}"

    @property
    def is_live(self):
        return self.is_active and self.paused_at is None and self.workspace.is_active

    def clean(self):
        errors = {}
        zip_errors = []
        for entry in self.zip_codes or []:
            try:
                parse_zip_entry(entry)
            except ValueError as exc:
                zip_errors.append(str(exc))
        if zip_errors:
            errors["zip_codes"] = zip_errors
        bad_states = [s for s in self.states or [] if str(s).upper() not in US_STATES]
        if bad_states:
            errors["states"] = [f"Not US state codes: {', '.join(bad_states)}."]
        if bool(self.radius_zip) != bool(self.radius_miles):
            errors["radius_miles"] = ["Give both a ZIP and a number of miles for a radius, or neither."]
        elif self.radius_zip:
            try:
                zips_within(self.radius_zip, self.radius_miles)
            except ValueError as exc:
                errors["radius_zip"] = [str(exc)]
        zero = zero_priced(self)
        if zero and not (self.zero_price_reason or "").strip():
            errors["zero_price_reason"] = [
                f"{' and '.join(zero)} is 0: say why this offer sells for nothing, or give it a price."
            ]
        if errors:
            raise ValidationError(errors)

    # Columns the derived rows copy: a save that changes none of them (a pause) keeps the rows.
    INDEXED = frozenset({"kind", "products", "zip_codes", "states", "radius_zip", "radius_miles", "priority"})

    def save(self, *args, **kwargs):
        self.states = [str(s).strip().upper() for s in self.states or []]
        update_fields = kwargs.get("update_fields")
        with transaction.atomic():
            super().save(*args, **kwargs)
            if update_fields is None or self.INDEXED & set(update_fields):
                self.reindex()

    def reindex(self):
        """Rewrite the derived match rows from the offer's products and where-lists."""
        self.where_rows.all().delete()
        self.product_rows.all().delete()
        OfferWhere.objects.bulk_create(OfferWhere.rows_for(self), batch_size=1000)
        OfferProduct.objects.bulk_create(OfferProduct(offer=self, product=p) for p in product_values(self))


def where_values(offer) -> list[dict]:
    """The OfferWhere columns for an offer (pure, so data migrations derive the same rows).

    ZIP entries (and the radius) and states narrow together (`workspaces.zips.place_matches`):
    without states, one row per place an entry covers, as before; with states, each place is
    narrowed to each state (its bucket `<place>@<state>`, see `narrowed`), so a lead finds the row
    only through its own ZIP and state, and the row keeps its ZIP entry's kind and span: an offer
    with both ranks by its ZIP entry's specificity, the state being a filter. "Any ZIP" (no entry,
    or `*`) narrowed to a state is that state's row."""
    kinds = [OfferKind.LEAD, OfferKind.APPOINTMENT] if offer.kind == OfferKind.ANY else [offer.kind]
    return [row for kind in kinds for row in _where_values(offer, kind)]


def narrowed(bucket: str, state: str) -> str:
    """The bucket of a ZIP place (a ZIP or a 3-digit prefix) that also needs the lead's `state`."""
    return f"{bucket}@{state}"


def _places(offer) -> list[dict]:
    """The places the offer's ZIP entries and radius cover, any state."""
    places = []
    for entry in dict.fromkeys(str(z).strip() for z in offer.zip_codes):
        kind, low, high = parse_zip_entry(entry)
        if kind == ZipEntryKind.ANY:
            places.append(dict(bucket=ANY, kind=WhereKind.ANY, low=low, high=high, span=100000, entry=entry))
            continue
        kind = {ZipEntryKind.EXACT: WhereKind.EXACT, ZipEntryKind.RANGE: WhereKind.RANGE,
                ZipEntryKind.PREFIX: WhereKind.PREFIX}[kind]
        span = int(high) - int(low) + 1
        buckets = [low] if kind == WhereKind.EXACT else [f"{p:03d}" for p in range(int(low[:3]), int(high[:3]) + 1)]
        places += [dict(bucket=b, kind=kind, low=low, high=high, span=span, entry=entry) for b in buckets]
    if offer.radius_zip:
        entry = f"{offer.radius_miles} mi of {offer.radius_zip}"
        zips = zips_within(offer.radius_zip, offer.radius_miles)
        places += [dict(bucket=z, kind=WhereKind.RADIUS, low=z, high=z, span=len(zips), entry=entry) for z in zips]
    return places or [dict(bucket=ANY, kind=WhereKind.ANY, low="00000", high="99999", span=100000, entry="any ZIP")]


def _where_values(offer, offer_kind):
    copied = dict(offer_kind=offer_kind, priority=offer.priority, offer_created_at=offer.created_at)
    places, states = _places(offer), list(dict.fromkeys(offer.states))
    if not states:
        return [dict(**place, **copied) for place in places]
    rows = []
    for state in states:
        for place in places:
            if place["bucket"] == ANY:
                rows.append(dict(bucket=f"st:{state}", kind=WhereKind.STATE, low="00000", high="99999", span=100000,
                                 entry=f"state {state}", **copied))
            else:
                rows.append(dict(place, bucket=narrowed(place["bucket"], state), entry=f"{place['entry']} in {state}",
                                 **copied))
    return rows


def product_values(offer) -> list[str]:
    """The offer's derived product rows: its entries as `product_key`s, or `*` for any product."""
    return sorted(product_keys(offer.products)) or [ANY]


class OfferWhere(models.Model):
    """One place an offer covers (derived; never edited by hand). `bucket` is what a lookup asks
    for by equality: an exact or radius ZIP itself, each 3-digit prefix a range/prefix covers,
    either of them narrowed to a state (`94110@CA`, `941@CA`: an offer with ZIP entries and
    states), `st:CA` for a state, or `*`. The offer's kind, priority and age are copied so one
    index lists a bucket in winning order."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="where_rows")
    bucket = models.CharField(max_length=8)
    kind = models.PositiveSmallIntegerField(choices=WhereKind.choices)
    low = models.CharField(max_length=5)
    high = models.CharField(max_length=5)
    span = models.PositiveIntegerField()
    entry = models.CharField(max_length=40)
    offer_kind = models.CharField(max_length=20)
    priority = models.PositiveIntegerField()
    offer_created_at = models.DateTimeField()

    WINNING_ORDER = ("-priority", "kind", "span", "offer_created_at", "offer_id")

    class Meta:
        db_table = "distribution_offer_where"
        indexes = [
            models.Index(
                fields=["offer_kind", "bucket", "-priority", "kind", "span", "offer_created_at", "offer"],
                name="offer_where_walk_idx",
            )
        ]

    def __str__(self):
        return f"{self.entry} of offer #{self.offer_id}"

    @classmethod
    def rows_for(cls, offer):
        return [cls(offer=offer, **values) for values in where_values(offer)]


class OfferProduct(models.Model):
    """One lower-cased product of an offer (`*` = any); derived like OfferWhere."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="product_rows")
    product = models.CharField(max_length=100)

    class Meta:
        db_table = "distribution_offer_products"
        constraints = [models.UniqueConstraint(fields=["offer", "product"], name="offer_product_uniq")]

    def __str__(self):
        return f"offer {self.offer_id}: {self.product}"


class FilterOp(models.TextChoices):
    EQ = "eq", "equals"
    IN = "in", "is one of"
    NOT_IN = "not_in", "is none of"
    GTE = "gte", "at least"
    LTE = "lte", "at most"
    BETWEEN = "between", "between (inclusive)"
    PRESENT = "present", "is present"
    ABSENT = "absent", "is absent"


# Lead columns an offer may filter on: the lead's own data, not bookkeeping or working fields.
FILTERABLE_COLUMNS = tuple(
    f.name for f in Lead._meta.concrete_fields
    if not f.is_relation and f.name not in {
        "id", "external_id", "raw_payload", "ip_address", "user_agent", "source_ip", "source_user_agent",
        "trustedform_cert_url", "jornaya_leadid", "processed_at", "created_at", "updated_at",
        "workspace_assigned_at", "workspace_status", "notes", "assigned_to", "priority", "follow_up_date",
        "contact_attempts", "status_changed_at", "status_changed_by", "hold_reasons", "state_source",
        "state_conflicts_zip", "payout_withheld", "phone_extension",
    } and not isinstance(f, models.JSONField)
)


class OfferFilter(models.Model):
    """`<lead column> <op> <value>`; list values (in, not_in, between) are comma-separated."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="filters")
    column = models.CharField(max_length=50, choices=[(c, c) for c in FILTERABLE_COLUMNS])
    op = models.CharField(max_length=10, choices=FilterOp.choices)
    value = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "distribution_offer_filters"
        ordering = ["id"]
        constraints = [choices_constraint("distribution_offer_filters", "op", FilterOp.choices)]

    def __str__(self):
        return f"{self.column} {self.op} {self.value}".strip()

    def clean(self):
        from .offer_filters import filter_compile

        try:
            filter_compile(self.column, self.op, self.value)
        except ValueError as exc:
            raise ValidationError({"value": [str(exc)]}) from None


class OfferPriceAdjustment(models.Model):
    """`+amount` (or a negative one) on the offer's prices when `<lead column> <op> <value>` holds;
    the same columns, operators and checks as OfferFilter."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_adjustments")
    column = models.CharField(max_length=50, choices=[(c, c) for c in FILTERABLE_COLUMNS])
    op = models.CharField(max_length=10, choices=FilterOp.choices)
    value = models.CharField(max_length=500, blank=True)
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(-MONEY_MAX), MaxValueValidator(MONEY_MAX)])

    class Meta:
        db_table = "distribution_offer_price_adjustments"
        ordering = ["id"]
        constraints = [choices_constraint("distribution_offer_price_adjustments", "op", FilterOp.choices)]

    def __str__(self):
        return f"{self.amount:+} when {self.column} {self.op} {self.value}".strip()

    clean = OfferFilter.clean


class CapWindow(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"
    WEEK = "week", "Week (from Monday)"
    MONTH = "month", "Month"


class CapMeasure(models.TextChoices):
    COUNT = "count", "Leads"
    SPEND = "spend", "Spend"


class Cap(models.Model):
    """At most `maximum` leads (count) or money (spend) per window, reset at the window's start in
    the buyer's time zone. On an offer, or (offer empty) on the buyer across all its offers."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="caps")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, null=True, blank=True, related_name="caps")
    window = models.CharField(max_length=10, choices=CapWindow.choices)
    measure = models.CharField(max_length=10, choices=CapMeasure.choices, default=CapMeasure.COUNT)
    maximum = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MONEY_MAX)])

    class Meta:
        db_table = "distribution_caps"
        ordering = ["id"]
        indexes = [models.Index(fields=["workspace", "offer"], name="cap_buyer_idx")]
        constraints = [
            choices_constraint("distribution_caps", "window", CapWindow.choices),
            choices_constraint("distribution_caps", "measure", CapMeasure.choices),
        ]

    def __str__(self):
        return f"{self.scope} cap {self.maximum} {self.measure} per {self.window}"

    @property
    def scope(self):
        return "buyer" if self.offer_id is None else "offer"

    @property
    def verdict(self):
        from .verdicts import Check, Verdict  # verdicts read the windows' words from here

        return Verdict(Check.CAP, self.scope, self.window)

    def clean(self):
        if self.offer_id and self.workspace_id and self.offer.workspace_id != self.workspace_id:
            raise ValidationError({"offer": ["The offer belongs to another workspace."]})
        if self.measure == CapMeasure.COUNT and self.maximum is not None and self.maximum != int(self.maximum):
            raise ValidationError({"maximum": ["A cap by count is a whole number of leads."]})


class CapUsage(models.Model):
    """How much of a cap one window has used. Only ever moved by one conditional upsert
    (`distribution.caps.caps_claim`) inside the distribution transaction, so concurrent sales
    queue on the row and never pass the cap."""

    cap = models.ForeignKey(Cap, on_delete=models.CASCADE, related_name="usage")
    window_start = models.DateTimeField()
    used = models.DecimalField(max_digits=20, decimal_places=2, default=Decimal("0"))

    class Meta:
        db_table = "distribution_cap_usage"
        constraints = [models.UniqueConstraint(fields=["cap", "window_start"], name="cap_usage_window_uniq")]

    def __str__(self):
        return f"cap {self.cap_id} from {self.window_start:%Y-%m-%d %H:%M}: {self.used}"


class Sale(models.Model):
    """One buyer that got a lead or an appointment (or both: an appointment sale names the lead
    it covers), at what price; the ledger's `sale` entry books the money. A buyer buys a lead
    once and an appointment once. The phone is copied as sold; the per-buyer duplicate window is
    `BuyerPhone`, which each lead sale moves (and which a migration and a purge fill from these
    rows)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, null=True, blank=True, related_name="sales")
    # A string reference: appointments sit above distribution, and only this column points up.
    appointment = models.ForeignKey("appointments.Appointment", on_delete=models.CASCADE, null=True, blank=True,
                                    related_name="sales")
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="sales")
    offer = models.ForeignKey(Offer, on_delete=models.SET_NULL, null=True, blank=True, related_name="sales")
    price = models.DecimalField(**MONEY)
    exclusive = models.BooleanField(default=False)
    phone = models.CharField(max_length=16)
    sold_at = models.DateTimeField()
    by = models.CharField(max_length=255, blank=True, help_text="Who sold it: the engine (system) or ops by hand.")
    note = models.CharField(max_length=255, blank=True, help_text="Why a hand sale's price was typed (0 needs one).")

    class Meta:
        db_table = "distribution_sales"
        ordering = ["-sold_at", "-id"]
        indexes = [models.Index(fields=["workspace", "phone", "sold_at"], name="sale_buyer_phone_idx")]
        constraints = [
            models.UniqueConstraint(fields=["lead", "workspace"], condition=models.Q(appointment__isnull=True),
                                    name="sale_lead_once_per_buyer"),
            models.UniqueConstraint(fields=["appointment", "workspace"], condition=models.Q(appointment__isnull=False),
                                    name="sale_appointment_once_per_buyer"),
            models.CheckConstraint(condition=models.Q(lead__isnull=False) | models.Q(appointment__isnull=False),
                                   name="sale_names_its_subject"),
        ]

    def __str__(self):
        what = f"appointment {self.appointment_id}" if self.appointment_id else f"lead {self.lead_id}"
        return f"{what} to {self.workspace_id} at {self.price}"

    @property
    def subject(self) -> str:
        return "appointment" if self.appointment_id else "lead"


class BuyerPhone(models.Model):
    """When a buyer last bought a lead with a phone: one row per (buyer, phone), the one source of
    the duplicate window (`Offer.duplicate_days`). A plain read of past sales cannot hold that
    window while posts of one phone race (each sees none of the others' uncommitted sales), so the
    row is moved by `distribution.duplicates.duplicates_claim`'s conditional upsert inside the
    distribution transaction, like caps' usage: concurrent sales of one phone to one buyer queue
    on the row lock and the database refuses the one inside the window. Every lead sale with a
    phone moves it (a sale without a window too, so a later window knows); it never moves back."""

    # The unique constraint's index leads with the buyer: no index of its own.
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+", db_index=False)
    phone = models.CharField(max_length=16)
    last_sold_at = models.DateTimeField()

    class Meta:
        db_table = "distribution_buyer_phones"
        constraints = [models.UniqueConstraint(fields=["workspace", "phone"], name="buyer_phone_uniq")]

    def __str__(self):
        return f"{self.phone} last sold to {self.workspace_id} at {self.last_sold_at:%Y-%m-%d %H:%M}"


class RoundRobinCursor(models.Model):
    """Where round robin stands for one rotation: `key` is `<who>:<priority>`, who being a lead's
    webhook id or `appointments`, and priority the level rotated among. Moved by one atomic upsert
    (`distribution.engine.round_robin_next`: created at 0, then +1 a call); the offer chosen is the
    position modulo how many offers tie at that moment."""

    key = models.CharField(max_length=150, unique=True)
    position = models.BigIntegerField(default=0)

    class Meta:
        db_table = "distribution_round_robin"

    def __str__(self):
        return f"{self.key} at {self.position}"


class DecisionResult(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    UNSOLD = "unsold", "No offer took it"
    FAILED = "failed", "Failed (queued for retry)"


class Decision(CreatedAtModel):
    """Why a lead went where it went: the live candidates that passed product and geography (≤ 50
    open ones, and ≤ 50 whose schedule was closed ranked among them), each with its verdict, the
    refusals counted per check, and the result."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="decisions")
    webhook_id = models.CharField(max_length=100, blank=True)
    strategy = models.CharField(max_length=20)
    result = models.CharField(max_length=20, choices=DecisionResult.choices)
    workspace_ids = models.JSONField(default=list, blank=True)
    offer_ids = models.JSONField(default=list, blank=True)
    candidates = models.JSONField(default=list, blank=True)
    refused = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        db_table = "distribution_decisions"
        ordering = ["-created_at", "-id"]
        constraints = [choices_constraint("distribution_decisions", "result", DecisionResult.choices)]

    def __str__(self):
        return f"lead {self.lead_id}: {self.result} ({self.strategy})"

    @property
    def summary(self) -> str:
        """The decision in words for ops (a release's answer, admin messages)."""
        if self.result == DecisionResult.ASSIGNED:
            return f"sold to {', '.join(self.workspace_ids)} ({self.strategy})"
        if self.result == DecisionResult.FAILED:
            return "distribution failed and is retried"
        refused = ", ".join(f"{verdict} ×{count}" for verdict, count in sorted(self.refused.items()))
        return f"unsold ({refused or 'no offer serves it'})"


class UnsoldLead(Lead):
    """The ops queue of unsold leads (a proxy: the lead rows themselves): no buyer holds the lead
    and distribution has decided on it at least once (no offer took it, it is held for consent,
    or its distribution failed). `distribution.selectors.unsold_leads` is the queue."""

    class Meta:
        proxy = True
        verbose_name = "unsold lead"

"""Admin forms: offers typed as ops think of them (no JSON), and the simulate form."""
import json
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from leadhub.choices import US_STATES
from leads.ingest import clean_lead
from leads.holds import hold_columns, holds_at_ingest
from leads.models import Lead
from providers.models import WebhookConfig
from workspaces.models import Workspace, parse_zip_entry

from .models import DAYS, Offer, parse_windows, split_entries
from .strategies import strategy_choices


def _hours(day):
    return forms.CharField(
        label=f"{day.title()} hours", required=False,
        help_text="e.g. 09:00-12:00, 13:00-17:00 in the buyer's time zone; empty = closed that day "
                  "(every day empty = open at all hours)",
    )


class OfferForm(forms.ModelForm):
    """ZIP entries and states: one text box each, separated by commas, spaces or newlines; each
    day's hours `09:00-12:00, 13:00-17:00`; dates off one per line. Every wrong entry is named."""

    zip_text = forms.CharField(
        label="ZIP entries", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Exact 90210, ranges 90210-90299, prefixes 902*; commas, spaces or new lines. Empty = any. "
                  "With states too, a lead must be in one of these ZIPs (or the radius) AND in one of the states.",
    )
    states_text = forms.CharField(
        label="States", required=False,
        help_text="e.g. CA, NV. Empty = any. With ZIP entries or a radius, the states narrow them (both must "
                  "match) and the offer ranks by its ZIP entry; states alone rank below any ZIP entry.",
    )
    products_text = forms.CharField(
        label="Products", required=False, help_text="Lead types or appointment products, comma-separated; empty = any."
    )
    hours_mon, hours_tue, hours_wed, hours_thu = _hours("mon"), _hours("tue"), _hours("wed"), _hours("thu")
    hours_fri, hours_sat, hours_sun = _hours("fri"), _hours("sat"), _hours("sun")
    dates_off_text = forms.CharField(
        label="Dates off", required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="YYYY-MM-DD, one a line."
    )

    class Meta:
        model = Offer
        fields = [
            "workspace", "name", "kind", "price", "appointment_price", "zero_price_reason", "radius_zip",
            "radius_miles", "priority", "weight", "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "return_window_hours" in self.fields:
            self.fields["return_window_hours"].required = False
        offer = self.instance
        for day in DAYS:
            self.initial[f"hours_{day}"] = ", ".join(f"{a}-{b}" for a, b in (offer.schedule or {}).get(day, []))
        self.initial.update(
            zip_text="\n".join(offer.zip_codes), states_text=", ".join(offer.states),
            products_text=", ".join(offer.products), dates_off_text="\n".join(offer.dates_off),
        )

    def clean_return_window_hours(self):
        """Left empty: the default window (72 hours)."""
        hours = self.cleaned_data.get("return_window_hours")
        return Offer._meta.get_field("return_window_hours").default if hours is None else hours

    def clean_zip_text(self):
        entries, errors = split_entries(self.cleaned_data["zip_text"]), []
        for entry in entries:
            try:
                parse_zip_entry(entry)
            except ValueError as exc:
                errors.append(str(exc))
        if errors:
            raise ValidationError(errors)
        return list(dict.fromkeys(entries))

    def clean_states_text(self):
        states = [s.upper() for s in split_entries(self.cleaned_data["states_text"])]
        bad = [s for s in states if s not in US_STATES]
        if bad:
            raise ValidationError(f"Not US state codes: {', '.join(bad)}.")
        return list(dict.fromkeys(states))

    def clean_products_text(self):
        return [p.strip() for p in self.cleaned_data["products_text"].split(",") if p.strip()]

    def clean_dates_off_text(self):
        dates, bad = [], []
        for text in split_entries(self.cleaned_data["dates_off_text"]):
            try:
                dates.append(date.fromisoformat(text).isoformat())
            except ValueError:
                bad.append(text)
        if bad:
            raise ValidationError(f"Not dates (use YYYY-MM-DD): {', '.join(bad)}.")
        return sorted(set(dates))

    def clean(self):
        cleaned = super().clean()
        schedule = {}
        for day in DAYS:
            try:
                windows = parse_windows(cleaned.get(f"hours_{day}", ""))
            except ValueError as exc:
                self.add_error(f"hours_{day}", str(exc))
                continue
            if windows:
                schedule[day] = windows
        offer = self.instance
        offer.zip_codes = cleaned.get("zip_text", offer.zip_codes)
        offer.states = cleaned.get("states_text", offer.states)
        offer.products = cleaned.get("products_text", offer.products)
        offer.dates_off = cleaned.get("dates_off_text", offer.dates_off)
        offer.schedule = schedule
        return cleaned


class SimulateForm(forms.Form):
    """A saved lead, or a payload as a provider would post it, and the webhook it arrives on; a
    strategy when ops want to see another than the webhook's."""

    lead_id = forms.IntegerField(required=False, label="Existing lead id")
    webhook = forms.ModelChoiceField(WebhookConfig.objects.all(), required=False, to_field_name="webhook_id")
    payload = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
                              help_text='JSON, e.g. {"zip_code": "94105", "monthly_electric_bill": 180, ...}')
    strategy = forms.ChoiceField(
        choices=lambda: [("", "The webhook's strategy"), *strategy_choices()], required=False,
        help_text="Empty: decide as distribution would, by the lead's webhook's strategy.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_id"):
            lead = Lead.objects.filter(pk=cleaned["lead_id"]).first()
            if lead is None:
                raise ValidationError({"lead_id": f"No lead {cleaned['lead_id']}."})
            cleaned["lead"] = lead
            return cleaned
        if not cleaned.get("webhook") or not cleaned.get("payload"):
            raise ValidationError("Give an existing lead id, or a webhook and a payload.")
        try:
            payload = json.loads(cleaned["payload"])
        except ValueError as exc:
            raise ValidationError({"payload": f"Not JSON: {exc}."}) from None
        webhook = cleaned["webhook"]
        result = clean_lead(payload, lead_type=webhook.lead_type)
        if result.errors:
            raise ValidationError({"payload": [f"{field}: {'; '.join(m)}" for field, m in result.errors.items()]})
        holds = holds_at_ingest(result.values, webhook=webhook)
        cleaned["lead"] = Lead(webhook_id=webhook.webhook_id, **hold_columns(code for code, _message in holds),
                               **result.values)
        return cleaned


class DistributeAgainForm(forms.Form):
    """The strategy for leads whose webhook does not distribute (it has none), asked before they
    are distributed again; never a silent default."""

    strategy = forms.ChoiceField(
        choices=strategy_choices, label="Strategy",
        help_text="For the leads whose webhook does not distribute; the others go by their webhook's strategy.",
    )


class HandSaleForm(forms.Form):
    """Assigning leads by hand sells them: at the buyer's best eligible offer price, or at a typed price."""

    workspace = forms.ModelChoiceField(queryset=Workspace.objects.filter(is_active=True), label="Workspace")
    price = forms.DecimalField(
        required=False, min_value=0, max_digits=12, decimal_places=2, label="Price (optional)",
        help_text="Empty: the buyer's best offer that takes the lead sets the price. Typed: this price for each lead.",
    )
    reason = forms.CharField(required=False, max_length=255, label="Reason",
                             help_text="Why this price (required for a price of 0); kept on the sale.")

    def clean(self):
        data = super().clean()
        if data.get("price") == 0 and not (data.get("reason") or "").strip():
            self.add_error("reason", "A sale at 0 needs a reason.")
        return data

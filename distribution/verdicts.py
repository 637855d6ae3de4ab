"""Verdicts: why an offer takes a lead or an appointment (`eligible`) or which check refused it.

A verdict is a typed value (its check, its scope, its window) that is also its code, the text
decisions store and count (`schedule_closed`, `consent_hold`, `filter:roof_age`, `cap:offer:day`),
so stored decisions and the API read as before while the code deciding on a verdict reads its
parts, never the text. Its words for people live here with it: a new verdict is a `Check`, its
code (`code`), its parsing back (`parse`) and its words (`_WORDS`, or a case of `words`).
"""
from enum import StrEnum

from leads.holds import HOLD_REASONS

from .models import DAYS, CapWindow


class Check(StrEnum):
    ELIGIBLE = "eligible"
    OWN_REFERRAL = "own_referral"  # the buyer sent the lead in
    EXCLUDED = "excluded"  # the buyer may not have it again (its delivery finally failed)
    HOLD = "hold"  # scope: the hold's reason (leads.holds)
    SUPPRESSED = "suppressed"  # the lead's phone or email is on a list that applies to the buyer
    BUYER_WEBHOOK_OFF = "buyer_webhook_off"
    SCHEDULE_CLOSED = "schedule_closed"
    FILTER = "filter"  # scope: the lead column
    DUPLICATE_FOR_BUYER = "duplicate_for_buyer"
    CAP = "cap"  # scope: offer or buyer; window: CapWindow
    FUNDS = "funds"  # a prepaid buyer whose available funds (balance + credit limit) do not cover the price
    NOT_THE_LEADS_BUYER = "not_the_leads_buyer"  # an appointment whose lead went to other buyers
    CALL_FREQUENCY = "call_frequency"  # scope: the state whose limit of calling buyers per window is reached


_WORDS = {
    Check.ELIGIBLE: "eligible",
    Check.OWN_REFERRAL: "the buyer sent this lead in",
    Check.EXCLUDED: "excluded: its delivery to this buyer finally failed",
    Check.SUPPRESSED: "the phone or email is suppressed for this buyer (a do-not-contact list)",
    Check.BUYER_WEBHOOK_OFF: "the buyer's webhook is switched off",
    Check.NOT_THE_LEADS_BUYER: "not a buyer of the appointment's lead",
}


class Verdict(str):
    """One verdict; equal to its code."""

    check: Check
    scope: str
    window: str

    def __new__(cls, check: Check, scope: str = "", window: str = ""):
        check = Check(check)
        if check == Check.HOLD:
            code = f"{scope}_hold"
        elif check == Check.FILTER:
            code = f"filter:{scope}"
        elif check == Check.CAP:
            code = f"cap:{scope}:{window}"
        elif check == Check.CALL_FREQUENCY:
            code = f"call_frequency:{scope}"
        else:
            code = str(check)
        verdict = super().__new__(cls, code)
        verdict.check, verdict.scope, verdict.window = check, scope, window
        return verdict

    @classmethod
    def parse(cls, code: str) -> "Verdict":
        """The verdict of a stored code (a decision's candidate row); ValueError for none."""
        if code.startswith("filter:"):
            return cls(Check.FILTER, code.removeprefix("filter:"))
        if code.startswith("cap:"):
            _cap, scope, window = code.split(":", 2)
            return cls(Check.CAP, scope, window)
        if code.startswith("call_frequency:"):
            return cls(Check.CALL_FREQUENCY, code.removeprefix("call_frequency:"))
        if code.endswith("_hold"):
            return cls(Check.HOLD, code.removesuffix("_hold"))
        return cls(Check(code))

    def words(self, *, offer=None, time_zone: str = "", figures=None) -> str:
        """The verdict for people; `offer` (and its buyer's `time_zone`) name its schedule and windows,
        `figures` (a decision's candidate row) the money a `funds` verdict weighed."""
        if self.check == Check.HOLD:
            reason = HOLD_REASONS.get(self.scope)
            return f"the lead is held: {reason.label if reason else self.scope}"
        if self.check == Check.SCHEDULE_CLOSED:
            if offer is None:
                return "closed by schedule"
            return f"closed by schedule ({schedule_words(offer.schedule, offer.dates_off, time_zone or 'UTC')})"
        if self.check == Check.FILTER:
            return f"refused by its filter on {self.scope}"
        if self.check == Check.DUPLICATE_FOR_BUYER:
            days = f" ({offer.duplicate_days} days)" if offer is not None and offer.duplicate_days else ""
            return f"the buyer bought this phone within the offer's duplicate window{days}"
        if self.check == Check.CAP:
            whose = "the buyer's" if self.scope == "buyer" else "the offer's"
            window = CapWindow(self.window).label.lower() if self.window in CapWindow.values else self.window
            return f"{whose} cap per {window} is full"
        if self.check == Check.CALL_FREQUENCY:
            return f"the consumer's state {self.scope} limits how many buyers may call them: the limit is reached"
        if self.check == Check.FUNDS:
            words = "the buyer's available funds (balance + credit limit) do not cover the price"
            if figures and figures.get("available") is not None:
                words += f" (available {figures['available']}, price {figures.get('price')})"
            return words
        return _WORDS[self.check]


def verdict_words(code: str, *, offer=None, time_zone: str = "", figures=None) -> str:
    """A stored verdict code in words; a code no check makes any more is shown as it is."""
    try:
        return Verdict.parse(code).words(offer=offer, time_zone=time_zone, figures=figures)
    except ValueError:
        return code


def schedule_words(schedule: dict, dates_off, time_zone: str) -> str:
    """`Mon–Fri 09:00–17:00, Sat 10:00–14:00 America/Chicago`: days with the same windows in runs;
    the dates off after them."""
    runs = []  # [first day, last day, windows]
    for day in DAYS:
        windows = ", ".join(f"{start}–{end}" for start, end in (schedule or {}).get(day, ()))
        if runs and runs[-1][2] == windows and DAYS.index(runs[-1][1]) == DAYS.index(day) - 1:
            runs[-1][1] = day
        else:
            runs.append([day, day, windows])
    parts = [f"{first.title()}{'' if first == last else '–' + last.title()} {windows}"
             for first, last, windows in runs if windows] if schedule else ["every day"]
    text = f"{', '.join(parts) or 'never open'} {time_zone}"
    if dates_off:
        text += f"; dates off {', '.join(sorted(dates_off))}"
    return text

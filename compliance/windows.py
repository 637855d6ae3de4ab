"""Where a consumer is and when they may be called: the one place that answers it.

`consumer_locale`: the consumer's time zone and state(s) — the ZIP's (the offline `zipcodes`
table), else the phone's area code (`phonenumbers` for the zone, the ZIP table's area codes for
the state), else the buyer's zone. When the area code's state differs from the ZIP's, both
states' rules apply (Florida and Oklahoma presume residence by area code).
`call_opens_at`: the first instant at or after `at` when every rule in force on the consumer's
local date allows a call (the federal window, each state's weekday window, its dated holidays),
with the words saying why it waits. `call_frequency_limit`: the strictest frequency limit in force
for the consumer's states.
"""
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as phone_zones

from workspaces.zips import zip5

from .models import FEDERAL, WEEKDAYS
from .rules import in_force, rules

# Calls waiting longer than this are a sign of a rule closing every day: they wait no further.
SEARCH_DAYS = 14


@dataclass(frozen=True)
class Locale:
    zone: str
    states: tuple  # the consumer's state(s), without the federal scope
    source: str  # zip, area_code or buyer: where the zone came from


@lru_cache(maxsize=1)
def _zip_tables() -> tuple[dict, dict]:
    """({ZIP: (state, zone)}, {area code: the state most of its ZIPs are in}), read once."""
    import zipcodes  # offline data shipped with the package: nothing is downloaded

    places, counts = {}, {}
    for z in zipcodes.list_all():
        if z["state"]:
            places[z["zip_code"]] = (z["state"], z["timezone"])
            for code in z.get("area_codes") or ():
                counts.setdefault(code, Counter())[z["state"]] += 1
    return places, {code: states.most_common(1)[0][0] for code, states in counts.items()}


def _digits(phone: str) -> str:
    digits = "".join(ch for ch in phone or "" if ch.isdigit())[-10:]
    return digits if len(digits) == 10 else ""


@lru_cache(maxsize=8192)
def _phone_zone(prefix: str) -> str:
    """The one zone `phonenumbers` gives a NANP number's first six digits (area code and
    exchange), "" when none or several."""
    try:
        zones = phone_zones.time_zones_for_number(phonenumbers.parse(f"+1{prefix}0000"))
    except phonenumbers.NumberParseException:
        return ""
    zones = [zone for zone in zones if "/" in zone and not zone.startswith("Etc/")]
    return zones[0] if len(zones) == 1 else ""


def consumer_locale(*, zip_code: str = "", state: str = "", phone: str = "", fallback_zone: str = "UTC") -> Locale:
    """The consumer's zone and states; `state` is the posted one, used when the ZIP is unknown."""
    places, area_codes = _zip_tables()
    zip_state, zip_zone = places.get(zip5(zip_code) or "", ("", ""))
    digits = _digits(phone)
    phone_state = area_codes.get(digits[:3], "") if digits else ""
    states = tuple(s for s in dict.fromkeys([zip_state or (state or "").strip().upper(), phone_state]) if s)
    if zip_zone:
        return Locale(zip_zone, states, "zip")
    if digits and (phone_zone := _phone_zone(digits[:6])):
        return Locale(phone_zone, states, "area_code")
    return Locale(fallback_zone or "UTC", states, "buyer")


def _day_rules(states, day):
    """(opens, closes, binding rows) of calling on local date `day`, None for opens when no call
    may be made; every scope's row in force narrows the window."""
    table, opens, closes, binding = rules(), time(0, 0), time(23, 59, 59), []
    for scope in (FEDERAL, *states):
        holiday = next((r for r in table.holidays.get((scope, day), ()) if in_force(r, day)), None)
        if holiday is not None:
            return None, None, [holiday]
        row = next((r for r in table.weekly.get((scope, WEEKDAYS[day.weekday()]), ()) if in_force(r, day)), None)
        if row is None:
            continue
        if row.opens is None:
            return None, None, [row]
        if row.opens >= opens:
            opens = row.opens
        if row.closes <= closes:
            closes = row.closes
        binding.append(row)
    return (opens, closes, binding) if opens < closes else (None, None, binding)


def _rule_words(row) -> str:
    scope = "federal" if row.state == FEDERAL else row.state
    if row.holiday:
        what = f"no calls on {row.holiday:%Y-%m-%d}{' (' + row.note + ')' if row.note else ''}"
    elif row.opens is None:
        what = f"no calls on {row.get_day_display()}s"
    else:
        what = f"{row.opens:%H:%M}–{row.closes:%H:%M} on {row.get_day_display()}s"
    return f"{scope} {what}, {row.source}"


def call_opens_at(*, locale: Locale, at: datetime) -> tuple[datetime, str]:
    """(the first instant at or after `at` the consumer may be called, why it waits: "" when
    `at` is inside the window). A consumer no rule lets be called within SEARCH_DAYS: `at`."""
    zone = ZoneInfo(locale.zone)
    local = at.astimezone(zone)
    words = ""
    for offset in range(SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        opens, closes, binding = _day_rules(locale.states, day)
        if offset == 0:
            words = "; ".join(_rule_words(row) for row in binding)
        if opens is None:
            continue
        start = max(opens, local.time()) if offset == 0 else opens
        if start < closes:
            instant = datetime.combine(day, start, tzinfo=zone)
            if offset == 0 and start == local.time():
                return at, ""
            where = f"{', '.join(locale.states) or 'no state known'}, {locale.zone}"
            return instant, (f"outside the consumer's calling window ({where}; {words}): "
                             f"waits until {instant:%Y-%m-%d %H:%M %Z}")
    return at, ""


def call_frequency_limit(*, states, day):
    """The strictest frequency limit in force on `day` for `states` (a CallFrequencyLimit), or None."""
    table = rules()
    found = [next((r for r in table.limits.get(state, ()) if in_force(r, day)), None) for state in states]
    found = [r for r in found if r is not None]
    return min(found, key=lambda r: (r.max_calls / r.hours, r.state)) if found else None


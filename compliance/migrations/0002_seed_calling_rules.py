"""The calling rules as ../shared/compliance-facts.md states them ("Calling windows"): the federal
window, the stricter states' windows and frequency limits, the Sunday rules, and dated holiday
bans for the states that ban calls on state holidays (the holidays every one of them observes,
December 2026 to the end of 2028; ops add each state's own ones). States the facts list as
"verify each statute before seeding" are not seeded."""
from datetime import date, time

from django.db import migrations

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HOLIDAY_SOURCE = "state holiday ban on solicitation calls (vendor holiday alerts citing state rules)"
HOLIDAY_STATES = ["AL", "LA", "MS", "PA", "RI", "UT"]
HOLIDAYS = [
    (date(2026, 12, 25), "Christmas Day"),
    (date(2027, 1, 1), "New Year's Day"),
    (date(2027, 5, 31), "Memorial Day"),
    (date(2027, 7, 4), "Independence Day"),
    (date(2027, 9, 6), "Labor Day"),
    (date(2027, 11, 25), "Thanksgiving Day"),
    (date(2027, 12, 25), "Christmas Day"),
    (date(2028, 1, 1), "New Year's Day"),
    (date(2028, 5, 29), "Memorial Day"),
    (date(2028, 7, 4), "Independence Day"),
    (date(2028, 9, 4), "Labor Day"),
    (date(2028, 11, 23), "Thanksgiving Day"),
    (date(2028, 12, 25), "Christmas Day"),
]
UTAH_PIONEER_DAYS = [date(2027, 7, 24), date(2028, 7, 24)]


def _week(state, opens, closes, effective_from, source, note="", sunday=None):
    """Seven weekday rows; `sunday`: (opens, closes) on Sundays, (None, None) for no calls."""
    rows = []
    for day in DAYS:
        hours = sunday if day == "sun" and sunday is not None else (opens, closes)
        rows.append(dict(state=state, day=day, opens=hours[0], closes=hours[1], effective_from=effective_from,
                         source=source, note=note))
    return rows


def seed(apps, schema_editor):
    CallingWindow = apps.get_model("compliance", "CallingWindow")
    CallFrequencyLimit = apps.get_model("compliance", "CallFrequencyLimit")
    h = time
    rows = [
        *_week("US", h(8), h(21), date(1992, 12, 20), "47 CFR 64.1200(c)(1); TSR 16 CFR 310.4(c)",
               "Federal: 08:00–21:00 the consumer's local time, every day."),
        *_week("FL", h(8), h(20), date(2021, 7, 1), "Fla. Stat. 501.059, 501.616(6); SB 1120",
               "A Florida area code is presumed a Florida resident."),
        *_week("OK", h(8), h(20), date(2022, 11, 1), "Telephone Solicitation Act of 2022 (HB 3168), 15 O.S. §775C",
               "An Oklahoma area code is presumed an Oklahoma resident."),
        *_week("MD", h(8), h(20), date(2024, 1, 1), "Stop the Spam Calls Act of 2023 (SB 90)"),
        *_week("WA", h(8), h(20), date(2022, 6, 9), "RCW 19.158.040; RCW 80.36.390 as amended (ESHB 1497)"),
        *_week("TX", h(9), h(21), date(2025, 9, 1), "Tex. Bus. & Com. Code 301.051; SB 140",
               "Sundays from noon only; texts count as solicitation from 2025-09-01.", sunday=(h(12), h(21))),
    ]
    for state in ("AL", "LA", "MS"):
        rows += _week(state, h(8), h(20), date(2025, 1, 1), "vendor compliance tables, 2025",
                      "No Sunday calls; hours from vendor tables: check the statute.", sunday=(None, None))
    for state in HOLIDAY_STATES:
        for day, name in HOLIDAYS:
            rows.append(dict(state=state, day="holiday", holiday=day, effective_from=day, source=HOLIDAY_SOURCE,
                             note=name))
    for day in UTAH_PIONEER_DAYS:
        rows.append(dict(state="UT", day="holiday", holiday=day, effective_from=day, source=HOLIDAY_SOURCE,
                         note="Pioneer Day"))
    CallingWindow.objects.bulk_create([CallingWindow(**row) for row in rows])
    CallFrequencyLimit.objects.bulk_create([
        CallFrequencyLimit(state="FL", max_calls=3, hours=24, effective_from=date(2021, 7, 1),
                           source="Fla. Stat. 501.616(6); SB 1120", note="Calls on the same subject."),
        CallFrequencyLimit(state="OK", max_calls=3, hours=24, effective_from=date(2022, 11, 1),
                           source="15 O.S. §775C (HB 3168)", note="Calls on the same subject."),
        CallFrequencyLimit(state="MD", max_calls=3, hours=24, effective_from=date(2024, 1, 1),
                           source="Stop the Spam Calls Act of 2023 (SB 90)", note="Calls or texts on the same subject."),
    ])


def unseed(apps, schema_editor):
    apps.get_model("compliance", "CallingWindow").objects.all().delete()
    apps.get_model("compliance", "CallFrequencyLimit").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_calling_windows")]
    operations = [migrations.RunPython(seed, unseed)]

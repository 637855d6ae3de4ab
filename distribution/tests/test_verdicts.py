"""Verdicts are typed values (distribution.verdicts): the code decisions store is built from the
check, its scope and its window and read back into them, and the admin shows every verdict in
words (a closed offer names its schedule in its buyer's time zone), never the code."""
import html
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from distribution.models import Decision, Offer
from distribution.verdicts import Check, Verdict, verdict_words
from leadhub.testing import admin_url, make_lead, make_workspace

WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
ONE_OF_EACH = [
    Verdict(Check.ELIGIBLE), Verdict(Check.OWN_REFERRAL), Verdict(Check.EXCLUDED), Verdict(Check.HOLD, "consent"),
    Verdict(Check.SUPPRESSED), Verdict(Check.BUYER_WEBHOOK_OFF), Verdict(Check.SCHEDULE_CLOSED),
    Verdict(Check.FILTER, "roof_age"), Verdict(Check.DUPLICATE_FOR_BUYER), Verdict(Check.CAP, "buyer", "day"),
    Verdict(Check.NOT_THE_LEADS_BUYER), Verdict(Check.CALL_FREQUENCY, "FL"), Verdict(Check.FUNDS),
]


def test_one_of_each_covers_every_check():
    assert {verdict.check for verdict in ONE_OF_EACH} == set(Check)


@pytest.mark.parametrize("verdict", ONE_OF_EACH, ids=str)
def test_a_verdict_is_its_stored_code_and_reads_back_into_its_parts(verdict):
    again = Verdict.parse(str(verdict))
    assert (again, again.check, again.scope, again.window) == (verdict, verdict.check, verdict.scope, verdict.window)
    assert verdict_words(str(verdict)) != str(verdict) or verdict.check == Check.ELIGIBLE


@pytest.mark.django_db
def test_the_decision_admin_shows_every_verdict_in_words(admin_client):
    buyer = make_workspace(time_zone="America/Chicago")
    offer = Offer.objects.create(workspace=buyer, products=["solar"], schedule=WEEKDAYS, duplicate_days=30)
    decision = Decision.objects.create(lead=make_lead(), strategy="priority", result="unsold", candidates=[
        {"offer_id": offer.pk, "workspace_id": buyer.pk, "verdict": str(verdict)} for verdict in ONE_OF_EACH
    ])
    page = html.unescape(admin_client.get(admin_url(decision, "change", decision.pk)).content.decode())
    shown = re.findall(rf"offer #{offer.pk} \({buyer.pk}\): ([^<]*)</p>", page)
    assert shown == [verdict.words(offer=offer, time_zone="America/Chicago") for verdict in ONE_OF_EACH]
    assert "closed by schedule (Mon–Fri 09:00–17:00 America/Chicago)" in shown
    assert "the lead is held: Consent not given" in shown and "the buyer's cap per day is full" in shown
    assert not {str(v) for v in ONE_OF_EACH if v.check != Check.ELIGIBLE} & set(shown)


@pytest.mark.django_db
def test_the_simulate_page_names_a_closed_offers_schedule(admin_client):
    offer = Offer.objects.create(workspace=make_workspace(time_zone="America/Chicago"), products=["solar"],
                                 price=Decimal("5"), schedule=WEEKDAYS)
    lead = make_lead(zip_code="94105")
    saturday = datetime(2026, 7, 4, 15, tzinfo=ZoneInfo("UTC"))
    with time_machine.travel(saturday, tick=False):
        body = admin_client.get(admin_url(Offer, "simulate"), {"lead_id": lead.pk, "strategy": "priority"})
    page = html.unescape(body.content.decode())
    assert 'title="schedule_closed">closed by schedule (Mon–Fri 09:00–17:00 America/Chicago)</td>' in page
    assert "Refused: closed by schedule 1" in page and f"#{offer.pk}" in page

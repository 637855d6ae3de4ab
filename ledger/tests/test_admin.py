"""Ops correct money in the admin: an adjustment on a buyer or a source with an amount, a reason
and who (kept in the immutable entry), booked once however often the form is posted; the
changelist shows the totals of what its filters select."""
import uuid
from decimal import Decimal as D

import pytest

from leadhub.testing import admin_url, make_provider, make_workspace
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record

pytestmark = pytest.mark.django_db


def test_an_adjustment_is_booked_once_with_why_and_who(admin_client):
    buyer = make_workspace()
    url = admin_url(Entry, "changelist") + "adjust/"
    page = admin_client.get(url)
    token = page.context["form"].initial["token"]
    form = {"side": "buyer", "workspace": buyer.pk, "amount": "-7.50", "reason": "goodwill credit", "token": token}
    assert admin_client.post(url, form).status_code == 302
    assert admin_client.post(url, form).status_code == 302  # posted again: nothing more
    entry = Entry.objects.get(kind=EntryKind.ADJUSTMENT)
    assert (entry.side, entry.workspace_id, entry.amount) == ("buyer", buyer.pk, D("-7.50"))
    assert entry.note == "goodwill credit (by staff:admin)"
    refused = admin_client.post(url, {**form, "workspace": "", "token": uuid.uuid4()})
    assert refused.status_code == 200 and "names the buyer" in refused.content.decode()


def test_the_changelist_totals_what_is_filtered(admin_client):
    buyer, other, source = make_workspace(), make_workspace(), make_provider()
    ledger_entries_record(drafts=[
        Draft(kind=EntryKind.SALE, amount=D("20"), workspace_id=buyer.pk),
        Draft(kind=EntryKind.RETURN_CREDIT, amount=D("-20"), workspace_id=buyer.pk),
        Draft(kind=EntryKind.SALE, amount=D("30"), workspace_id=other.pk),
        Draft(kind=EntryKind.PAYOUT, amount=D("5"), provider_id=source.provider_id),
    ])
    everything = admin_client.get(admin_url(Entry, "changelist")).context["ledger_totals"]
    assert (everything["buyer_side"], everything["source_side"], everything["margin"]) == (D("30"), D("5"), D("25"))
    mine = admin_client.get(admin_url(Entry, "changelist"), {"workspace_id": buyer.pk}).context["ledger_totals"]
    assert mine["buyer_side"] == 0 and [(k["kind"], k["total"]) for k in mine["kinds"]] == [
        ("return_credit", D("-20")), ("sale", D("20"))]
    paid = admin_client.get(admin_url(Entry, "changelist"), {"provider_id": source.provider_id,
                                                             "kind__exact": "payout"})
    assert paid.context["ledger_totals"]["source_side"] == D("5")

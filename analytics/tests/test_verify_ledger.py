"""`manage.py verify_ledger` reconciles the ledger with the rows that caused its entries: every sale
row with its `sale` entry and back, every payout with its lead (or appointment) and the webhook
terms that priced it, every credit and chargeback with what caused it, every money figure of the
KPI API and dashboard with its entries. It names each row that does not hold, one line each, and
exits non-zero. Before, it re-added one table two ways: after the entries were wiped it said `OK:
0 entries` while 328 sales existed."""
from decimal import Decimal as D

import pytest
from django.core.management import execute_from_command_line

from appointments.services.intake import appointment_intake
from distribution.hand import lead_sell_by_hand
from distribution.models import Sale
from distribution.services import lead_distribute, payout_chargeback, sale_undelivered
from leadhub.testing import make_lead, make_lead_offer, make_webhook, make_workspace
from leadhub.testing.ledger_wipe import ledger_entries_remove
from ledger.models import Entry, EntryKind
from ledger.services import Draft, ledger_entries_record
from providers.models import WebhookConfig

pytestmark = pytest.mark.django_db


def verify_ledger(capsys):
    """(exit code, stdout lines) of `manage.py verify_ledger`, run as manage.py runs it."""
    try:
        execute_from_command_line(["manage.py", "verify_ledger"])
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


@pytest.fixture
def world(appointment_clock, django_capture_on_commit_callbacks):
    """Every kind of money movement, each through its production path: distribution (a fixed
    payout on sale), a failed delivery (credited, sold again), a multisell under a share payout, an
    appointment (its own payout), a hand sale (its payout taken back) and a $0 hand sale (no entry)."""
    fixed = make_webhook(distribution_strategy="priority", payout_kind="fixed", payout_amount=D("4"), payout_on="sold")
    share = make_webhook(distribution_strategy="multisell", multisell_buyers=2, payout_kind="share",
                         payout_share=D("10"))
    first, second, hand = make_workspace(), make_workspace(), make_workspace()
    make_lead_offer(first, products=["solar"], price="25", priority=9)
    make_lead_offer(second, products=["solar"], price="20", priority=1)
    from distribution.models import Offer
    Offer.objects.create(workspace=second, kind="appointment", products=["solar"], appointment_price=D("60"))

    failed = make_lead(zip_code="94105", webhook_id=fixed.webhook_id)
    lead_distribute(lead=failed, webhook=fixed)
    with django_capture_on_commit_callbacks(execute=True):
        sale_undelivered(lead_id=failed.pk, workspace_id=first.pk)  # credited, sold again to `second`
    shared = make_lead(zip_code="94105", webhook_id=share.webhook_id)
    lead_distribute(lead=shared, webhook=share)  # 25 + 20: a payout of 4.50
    appointment = appointment_intake(webhook=fixed, payload={
        "customer_name": "Grace Hopper", "customer_phone": "(415) 234-5600", "customer_zip": "94105",
        "service_type": "solar", "scheduled_at": "2026-12-01T15:00:00Z",
    }).appointment
    by_hand = make_lead(zip_code="94105", webhook_id=fixed.webhook_id)
    lead_sell_by_hand(lead=by_hand, workspace=hand, by="staff:ops", price="33")
    payout_chargeback(lead=by_hand, by="staff:ops", reason="the lead was a fake")
    free = make_lead(zip_code="94105")
    lead_sell_by_hand(lead=free, workspace=hand, by="staff:ops", price="0", reason="a goodwill lead")
    sales = {(s.lead_id, s.appointment_id, s.workspace_id): s for s in Sale.objects.all()}
    return {
        "fixed": fixed, "share": share, "failed": failed, "shared": shared, "appointment": appointment,
        "by_hand": by_hand, "free": free, "first": first, "second": second, "hand": hand, "sales": sales,
        "entries": {(e.kind, e.reference): e for e in Entry.objects.all()},
    }


def sale_of(world, lead, workspace):
    return world["sales"][lead.pk, None, workspace.pk]


def test_a_ledger_that_matches_its_rows_says_ok(world, capsys):
    kinds = sorted(kind for kind, _ in world["entries"])
    assert kinds == ["chargeback", "payout", "payout", "payout", "payout", "sale", "sale", "sale", "sale", "sale",
                     "sale", "undelivered"]

    code, out, err = verify_ledger(capsys)

    assert (code, out, err) == (0, ["OK: 12 entries, 7 sales"], "")


def test_a_wiped_ledger_names_every_sale_and_payout(world, capsys):
    ledger_entries_remove(*Entry.objects.values_list("id", flat=True))

    code, out, err = verify_ledger(capsys)

    assert code == 1 and "13 problems" in err  # 10 rows without their entries, 3 buyers' balances
    assert sum(line.startswith("balance ") for line in out) == 3
    sales = world["sales"].values()
    named = {int(line.split()[1].lstrip("#")) for line in out if line.startswith("sale #")}
    assert named == {s.pk for s in sales if s.price}  # the $0 sale never had an entry
    # The leads' payouts; the appointment's webhook was known from its entries only.
    assert [line.split()[:2] for line in out if "no payout" in line] == [
        ["lead", str(world[name].pk)] for name in ("failed", "shared", "by_hand")]
    credit = sale_of(world, world["failed"], world["first"])
    assert f"sale #{credit.pk} (lead {world['failed'].pk}, buyer {world['first'].pk}, 25.00): its buyer is excluded " \
           f"from the lead, but no credit undelivered:{credit.pk}" in out
    assert not any(line.startswith("OK") for line in out)


def test_one_sale_entry_removed_names_its_sale(world, capsys):
    sale = sale_of(world, world["by_hand"], world["hand"])
    ledger_entries_remove(world["entries"][EntryKind.SALE, f"sale:{sale.pk}"].pk)

    code, out, _ = verify_ledger(capsys)

    assert code == 1
    assert out == [f"sale #{sale.pk} (lead {sale.lead_id}, buyer {sale.workspace_id}, 33.00): no `sale` entry "
                   f"sale:{sale.pk}", f"balance {sale.workspace_id}: 33.00 != sum of entries 0"]


def test_one_payout_removed_names_its_lead_and_the_chargeback_left_without_it(world, capsys):
    lead = world["by_hand"]
    payout = world["entries"][EntryKind.PAYOUT, f"payout:{lead.pk}"]
    chargeback = world["entries"][EntryKind.CHARGEBACK, f"chargeback:{lead.pk}"]
    ledger_entries_remove(payout.pk)

    code, out, _ = verify_ledger(capsys)

    assert code == 1
    assert out == [
        f"lead {lead.pk} (webhook {lead.webhook_id}): no payout payout:{lead.pk}; its terms (fixed 4.00) price it at 4.00",
        f"chargeback #{chargeback.pk} chargeback:{lead.pk} (-4.00): takes back no payout payout:{lead.pk}",
    ]


def extra_sale(world):
    return Draft(kind=EntryKind.SALE, amount=D("99.00"), workspace_id=world["hand"].pk, reference="sale:999999")


def extra_payout(world):
    lead = world["free"]  # its webhook pays nothing
    return Draft(kind=EntryKind.PAYOUT, amount=D("5.00"), reference=f"payout:{lead.pk}", lead_id=lead.pk,
                 webhook_id=lead.webhook_id)


def extra_credit(world):
    sale = sale_of(world, world["shared"], world["second"])  # its buyer still holds the lead
    return Draft(kind=EntryKind.UNDELIVERED, amount=-sale.price, workspace_id=sale.workspace_id,
                 reference=f"undelivered:{sale.pk}", lead_id=sale.lead_id, offer_id=sale.offer_id)


def extra_chargeback(world):
    lead = world["free"]
    return Draft(kind=EntryKind.CHARGEBACK, amount=D("-4.00"), reference=f"chargeback:{lead.pk}", lead_id=lead.pk)


@pytest.mark.parametrize("draft, says", [
    (extra_sale, "sale entry #{id} sale:999999 (buyer {hand}, 99.00): no sale row #999999"),
    (extra_payout, "payout #{id} payout:{free} (5.00): webhook {free_webhook} pays nothing"),
    (extra_credit, "undelivered #{id} undelivered:{shared_sale} (-20.00): buyer {second} still holds lead {shared}, "
                   "its delivery did not fail"),
    (extra_chargeback, "chargeback #{id} chargeback:{free} (-4.00): takes back no payout payout:{free}"),
], ids=["sale", "payout", "undelivered", "chargeback"])
def test_one_extra_entry_is_named(world, capsys, draft, says):
    ledger_entries_record(drafts=[draft(world)])
    extra = Entry.objects.order_by("-id").first()

    code, out, _ = verify_ledger(capsys)

    assert code == 1
    assert out == [says.format(
        id=extra.pk, hand=world["hand"].pk, free=world["free"].pk, free_webhook=world["free"].webhook_id,
        shared_sale=sale_of(world, world["shared"], world["second"]).pk, second=world["second"].pk,
        shared=world["shared"].pk)]


def test_a_sale_row_without_an_entry_is_named(world, capsys):
    lead = make_lead(zip_code="94105")
    sale = Sale.objects.create(lead=lead, workspace=world["hand"], price=D("12.00"), phone=lead.phone,
                               sold_at=lead.created_at)

    code, out, _ = verify_ledger(capsys)

    assert code == 1
    assert out == [f"sale #{sale.pk} (lead {lead.pk}, buyer {world['hand'].pk}, 12.00): no `sale` entry sale:{sale.pk}"]


def test_a_payout_its_webhooks_terms_do_not_price_is_named(world, capsys):
    WebhookConfig.objects.filter(pk=world["share"].pk).update(payout_share=D("20"))
    payout = world["entries"][EntryKind.PAYOUT, f"payout:{world['shared'].pk}"]

    code, out, _ = verify_ledger(capsys)

    assert code == 1
    assert out == [f"payout #{payout.pk} payout:{world['shared'].pk} (4.50): webhook {world['share'].webhook_id}'s "
                   f"terms (20.00% of sales 45.00) price it at 9.00"]


def test_a_kpi_figure_that_is_not_its_entries_is_named(world, capsys, monkeypatch):
    from analytics import selectors

    real = selectors.webhook_sales

    def a_cent_off(**kwargs):
        rows = real(**kwargs)
        rows[0]["payouts"] += D("0.01")
        return rows

    monkeypatch.setattr(selectors, "webhook_sales", a_cent_off)
    code, out, _ = verify_ledger(capsys)

    assert code == 1 and len(out) == 1
    assert out[0].startswith("KPI webhooks: webhook ") and "payouts" in out[0] and "sum of its entries" in out[0]


def test_a_purged_persons_money_stays_in_the_ledger_without_its_rows(world, capsys):
    """A purge deletes the person's leads and so their sale rows; the ledger keeps the money. Its
    sale entry and payout are counted apart, not reported as rows gone missing (the chargeback
    still takes back that payout)."""
    from people.services import contact_purge

    contact_purge(contact=world["by_hand"].contact, reason="a data-deletion request", by="staff:ops")

    code, out, err = verify_ledger(capsys)

    assert (code, out, err) == (0, ["OK: 12 entries, 6 sales", "(2 entries of purged persons' leads: their rows are "
                                    "gone, their sums are checked)"], "")


def test_an_entry_naming_a_lead_that_never_existed_is_no_purge(world, capsys):
    ledger_entries_record(drafts=[Draft(kind=EntryKind.SALE, amount=D("9.00"), workspace_id=world["hand"].pk,
                                        reference="sale:888888", lead_id=777777)])
    extra = Entry.objects.order_by("-id").first()

    code, out, _ = verify_ledger(capsys)

    assert (code, out) == (1, [f"sale entry #{extra.pk} sale:888888 (buyer {world['hand'].pk}, 9.00): no sale row #888888"])

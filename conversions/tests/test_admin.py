"""Conversions admin: view-only rows, the void action through the service, the rate table."""
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.management import call_command

from conversions.models import Conversion, ConversionEvent, ConversionIdempotencyKey, CurrencyRate
from conversions.services.create import conversion_create
from leadhub.testing import (
    admin_url,
    assert_admin_pages_render,
    assert_admin_read_only,
    make_contact,
    make_contact_history,
    make_workspace,
)


@pytest.mark.django_db
def test_conversion_pages_render_and_nothing_is_edited_by_hand(admin_client):
    conversion = make_contact_history()["conversion"]
    event = ConversionEvent.objects.get(conversion=conversion)

    for row in (conversion, event):
        assert_admin_pages_render(admin_client, row)
        assert_admin_read_only(admin_client, row)


@pytest.mark.django_db
def test_conversion_search_by_uuid_and_contact_id(admin_client):
    conversion = make_contact_history()["conversion"]
    make_contact_history()
    changelist = admin_url(conversion, "changelist")

    for term in (str(conversion.pk), str(conversion.contact_id)):
        found = admin_client.get(changelist, {"q": term}).context["cl"].result_list
        assert [row.pk for row in found] == [conversion.pk], term


def test_every_conversions_model_is_in_the_admin():
    assert set(apps.get_app_config("conversions").get_models()) <= set(admin.site._registry)


@pytest.mark.django_db
def test_void_action_asks_for_a_reason_then_voids_through_the_service(admin_client):
    workspace = make_workspace()
    conversions = [
        conversion_create(
            workspace=workspace, contact=make_contact(), conversion_type="sale", conversion_value=value, created_by="t"
        ).conversion
        for value in ("10.00", "5.00")
    ]
    changelist = admin_url(Conversion, "changelist")
    selected = {"action": "void", "_selected_action": [str(c.pk) for c in conversions]}

    page = admin_client.post(changelist, selected)
    assert page.status_code == 200 and "Void 2 conversions" in page.content.decode()
    assert not Conversion.objects.filter(voided_at__isnull=False).exists()

    admin_client.post(changelist, {**selected, "post": "yes", "reason": ""})  # reason is required
    assert not Conversion.objects.filter(voided_at__isnull=False).exists()

    response = admin_client.post(changelist, {**selected, "post": "yes", "reason": "test data"})
    assert response.status_code == 302
    assert set(Conversion.objects.values_list("void_reason", flat=True)) == {"test data"}
    assert Conversion.objects.filter(voided_by="staff:admin").count() == 2
    workspace.refresh_from_db()
    assert (workspace.total_conversions, workspace.total_revenue) == (0, Decimal("0"))
    assert "No drift" in _verify()


def _verify():
    out = StringIO()
    call_command("verify_aggregates", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_void_is_offered_only_to_staff_who_may_change_conversions(client, admin_client, django_user_model):
    conversion = conversion_create(
        workspace=make_workspace(), contact=make_contact(), conversion_type="sale", conversion_value="1", created_by="t"
    ).conversion
    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_conversion"))
    client.force_login(viewer)
    changelist = admin_url(Conversion, "changelist")

    assert "void" in dict(admin_client.get(changelist).context["action_form"].fields["action"].choices)
    assert client.get(changelist).context["action_form"] is None  # no action at all for a viewer
    client.post(changelist, {"action": "void", "_selected_action": [str(conversion.pk)], "post": "yes", "reason": "x"})
    assert Conversion.objects.get(pk=conversion.pk).voided_at is None


@pytest.mark.django_db
def test_currency_rates_are_edited_in_the_admin_and_record_who(admin_client):
    add = admin_client.post(admin_url(CurrencyRate, "add"), {"currency": "EUR", "date": "2026-04-01", "usd_rate": "1.0825"})
    assert add.status_code == 302, add.content[:2000]
    rate = CurrencyRate.objects.get()
    assert (rate.currency, rate.date, rate.usd_rate, rate.updated_by) == (
        "EUR", date(2026, 4, 1), Decimal("1.0825"), "staff:admin"
    )

    for bad in ({"currency": "eur", "usd_rate": "1"}, {"currency": "GBP", "usd_rate": "0"}, {"currency": "USD", "usd_rate": "1"},
                {"currency": "EUR", "usd_rate": "2"}):
        response = admin_client.post(admin_url(CurrencyRate, "add"), {"date": "2026-04-01", **bad})
        assert response.status_code == 200, bad  # form shown again with the error
        assert response.context["adminform"].form.errors, bad
    assert CurrencyRate.objects.count() == 1
    assert_admin_pages_render(admin_client, rate)


@pytest.mark.django_db
def test_idempotency_keys_are_viewable_and_read_only(admin_client):
    conversion_create(
        workspace=make_workspace(), contact=make_contact(), conversion_type="sale", conversion_value="1",
        created_by="t", idempotency_key="order-1",
    )
    row = ConversionIdempotencyKey.objects.get()
    assert_admin_pages_render(admin_client, row)
    assert_admin_read_only(admin_client, row)


@pytest.mark.django_db
def test_conversion_list_reads_as_money_and_names_and_the_page_voids(admin_client):
    conversion = conversion_create(
        workspace=make_workspace(name="Acme Solar"), contact=make_contact(), conversion_type="sale",
        conversion_value="13500", created_by="t", custom_data={"deal": {"stage": "signed"}},
    ).conversion

    page = admin_client.get(admin_url(conversion, "changelist")).content.decode()
    assert "$13,500.00" in page
    assert f'title="{conversion.pk}"' in page
    assert f'>{conversion.workspace.name}</a>' in page

    detail = admin_client.get(admin_url(conversion, "change", conversion.pk)).content.decode()
    assert "<th>deal.stage</th><td>signed</td>" in detail and "Raw JSON" in detail
    assert f"/admin/conversions/conversion/{conversion.pk}/action/void/" in detail

    response = admin_client.post(f"/admin/conversions/conversion/{conversion.pk}/action/void/",
                                 {"post": "yes", "reason": "Refunded"})
    assert response.status_code == 302
    conversion.refresh_from_db()
    assert conversion.voided_at is not None and conversion.void_reason == "Refunded"

"""Conversions admin: view-only, since conversions move workspace and contact aggregates."""
import pytest
from django.apps import apps
from django.contrib import admin

from conversions.models import ConversionEvent
from leadhub.testing import admin_url, assert_admin_pages_render, assert_admin_read_only, make_contact_history


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

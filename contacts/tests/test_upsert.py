"""contact_upsert: the one (webhook, phone) dedup behind lead ingest, appointment intake, referral and import."""
import pytest
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from contacts.services import CONTACT_FILL_FIELDS, contact_upsert
from leadhub.testing import make_contact

pytestmark = pytest.mark.django_db


def upsert(**values):
    with transaction.atomic():
        return contact_upsert(webhook_id="wh-a", phone="+14155550100", values=values, now=timezone.now())


def test_a_new_contact_takes_only_the_fill_fields():
    contact, created, changed = upsert(first_name="Ada", email="ada@example.com", lifetime_value="999", phone="x")

    assert (created, changed) == (True, [])
    contact = Contact.objects.get(pk=contact.pk)
    assert (contact.first_name, contact.email, contact.phone, contact.lifetime_value) == (
        "Ada", "ada@example.com", "+14155550100", 0
    )


def test_a_known_contact_gets_its_blank_fields_filled_and_nothing_overwritten():
    known = make_contact(webhook_id="wh-a", phone="+14155550100", first_name="Ada", city="")

    contact, created, changed = upsert(first_name="Grace", city="Oakland", zip_code="")

    assert (contact.pk, created, changed) == (known.pk, False, ["city"])
    known.refresh_from_db()
    assert (known.first_name, known.city) == ("Ada", "Oakland")


def test_a_merged_away_contact_hands_over_to_its_survivor():
    survivor = make_contact(webhook_id="wh-b", phone="+14155550100", email="")
    make_contact(webhook_id="wh-a", phone="+14155550100", merged_into=survivor)

    contact, created, changed = upsert(email="ada@example.com")

    assert (contact.pk, created, changed) == (survivor.pk, False, ["email"])
    assert Contact.objects.count() == 2


def test_every_fill_field_is_a_contact_column():
    columns = {field.name for field in Contact._meta.concrete_fields}
    assert set(CONTACT_FILL_FIELDS) <= columns

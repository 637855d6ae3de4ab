"""The data migration that turns senders' ids into references and repairs the id sequence."""
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from leadhub.testing import make_contact, make_lead
from leads.models import Lead

pytestmark = pytest.mark.django_db

migration = importlib.import_module("leads.migrations.0007_lead_external_id")


def migrate():
    # Only the editor's connection is used; SQLite cannot open a schema editor inside the test's transaction.
    migration.forwards(apps, SimpleNamespace(connection=connection))


def test_each_leads_old_id_becomes_its_external_id():
    contact = make_contact()
    plain = make_lead(contact, provider_id="acme", raw_payload={"lead_id": 4242, "first_name": "Ada"})
    styled = make_lead(contact, provider_id="acme", raw_payload={"LeadId": "A-7"})
    nested = make_lead(contact, provider_id="acme", raw_payload={"lead": {"id": 99}})
    without = make_lead(contact, provider_id="acme", raw_payload={"first_name": "Ada", "reference": "not-an-old-id"})
    unusable = make_lead(contact, provider_id="acme", raw_payload={"id": "line\nbreak"})
    twice = make_lead(contact, provider_id="acme", raw_payload={"id": 4242})  # the first lead keeps the reference

    migrate()

    found = dict(Lead.objects.values_list("pk", "external_id"))
    assert found == {plain.pk: "4242", styled.pk: "A-7", nested.pk: "99", without.pk: None, unusable.pk: None,
                     twice.pk: None}


def set_sequence(value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('leads', 'id'), %s)", [value])


@pytest.fixture
def sequence_restored():
    """Sequences ignore the test's rollback: put it back, so later tests' ids stay small."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM leads_id_seq")
        (before,) = cursor.fetchone()
    yield
    set_sequence(before)


@pytest.mark.postgres_only
def test_it_puts_a_sequence_moved_to_its_limit_back_after_the_largest_id_up_to_ten_to_the_twelve(sequence_restored):
    kept = make_lead(id=10**12, raw_payload={"id": 10**12})
    hit = make_lead(id=2**63 - 1, raw_payload={"lead_id": 2**63 - 1})
    set_sequence(2**63 - 1)

    migrate()

    assert make_lead().pk == 10**12 + 1
    kept.refresh_from_db()
    hit.refresh_from_db()
    assert (kept.external_id, hit.external_id) == ("1000000000000", "9223372036854775807")

"""`manage.py verify_aggregates [--fix]` finds and repairs drift, set-based."""
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from contacts.models import Contact
from conversions.services.changes import conversion_void
from conversions.services.create import conversion_create
from leadhub.testing import make_contact, make_workspace
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("verify_aggregates", *args, stdout=out)
    return out.getvalue()


def recorded(workspace, contact, value):
    return conversion_create(
        workspace=workspace, contact=contact, conversion_type="sale", conversion_value=value, created_by="t"
    ).conversion


def test_no_drift_after_services():
    workspace = make_workspace()
    contact = make_contact()
    recorded(workspace, contact, "10.00")
    conversion_void(conversion=recorded(workspace, contact, "5.00"), workspace=None, by="ops", reason="test")
    assert "No drift" in run()


def test_drift_is_reported_with_exit_code_1_then_repaired_by_fix():
    workspace = make_workspace()
    contact, untouched = make_contact(), make_contact()
    recorded(workspace, contact, "10.00")
    recorded(workspace, contact, "2.50")
    conversion_void(conversion=recorded(workspace, contact, "100.00"), workspace=None, by="ops", reason="test")
    recorded(workspace, untouched, "1.00")
    Contact.objects.filter(pk=contact.pk).update(conversion_count=7, lifetime_value=Decimal("999.00"))
    Workspace.objects.filter(pk=workspace.pk).update(total_revenue=Decimal("0"))
    stray = make_contact(conversion_count=1)  # counted with no conversion rows at all

    with pytest.raises(CommandError) as caught:
        run()
    assert caught.value.returncode == 1

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_aggregates", stdout=out)
    text = out.getvalue()
    assert f"contact {contact.pk}: stored 7 / 999.00, rows 2 / 12.50" in text
    assert f"contact {stray.pk}: stored 1 / 0.00, rows 0 / 0.00" in text
    assert f"workspace {workspace.pk}: stored 3 / 0.00, rows 3 / 13.50" in text
    assert f"contact {untouched.pk}:" not in text

    assert "Repaired 2 contact(s) and 1 workspace(s)" in run("--fix")
    contact.refresh_from_db()
    workspace.refresh_from_db()
    stray.refresh_from_db()
    assert (contact.conversion_count, contact.lifetime_value) == (2, Decimal("12.50"))
    assert (stray.conversion_count, stray.lifetime_value) == (0, Decimal("0"))
    assert (workspace.total_conversions, workspace.total_revenue) == (3, Decimal("13.50"))
    assert "No drift" in run()

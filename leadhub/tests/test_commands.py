import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.utils import timezone

from leadhub.progress import Progress
from leadhub.testing import make_lead, make_provider, make_webhook
from leads.models import LeadEvent

pytestmark = pytest.mark.django_db


def test_ensure_admin_creates_one_superuser_and_prints_its_login(capsys):
    call_command("ensure_admin")
    assert "user=admin" in capsys.readouterr().out
    call_command("ensure_admin")
    assert "user(s) admin; password unchanged" in capsys.readouterr().out
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert get_user_model().objects.get(username="admin").check_password("admin")


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_import_leads_draws_a_bar_on_a_terminal(tmp_path):
    webhook, provider = make_webhook(), make_provider()
    path = tmp_path / "leads.csv"
    path.write_text("firstName,lastName,email,phone_number,zip\nAda,L,ada@example.com,(415) 200-4001,94107\n"
                    "Alan,T,alan@example.com,(415) 200-4003,94107\n")
    err = Terminal()

    call_command("import_leads", str(path), "--webhook", webhook.webhook_id, "--provider", provider.provider_id,
                 stdout=io.StringIO(), stderr=err)

    assert "\r[###############---------------]  50% 1/2 rows" in err.getvalue()
    assert "\r[##############################] 100% 2/2 rows" in err.getvalue()
    assert "progress:" not in err.getvalue()


def test_piped_progress_is_plain_periodic_lines():
    out, ticks = io.StringIO(), iter(range(0, 1000, 6))
    progress = Progress(OutputWrapper(out), total=10, unit="rows", every=10, clock=lambda: next(ticks))

    for done in range(1, 11):
        progress.update(done)
    progress.finish()

    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert lines[0] == "progress:  20% 2/10 rows"  # a line once 10 s have passed, not one per row
    assert lines[-1] == "progress: 100% 10/10 rows (done)"
    assert 3 <= len(lines) <= 7


def test_archive_events_reports_progress_when_piped(tmp_path):
    lead = make_lead()
    event = lead.events.create(event_type="received", event_data={})
    LeadEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(days=400))
    err = io.StringIO()

    call_command("archive_events", "--older-than", "180d", "--archive-dir", str(tmp_path),
                 stdout=io.StringIO(), stderr=err)

    assert "progress: 1 rows archived (done)" in err.getvalue()


def _our_commands():
    for name, app in get_commands().items():
        if app in PROJECT_APPS:
            yield name, load_command_class(app, name)


PROJECT_APPS = {"leadhub", "workspaces", "providers", "contacts", "leads", "appointments", "conversions", "analytics"}
BASE_OPTIONS = {action.dest for action in BaseCommand().create_parser("manage.py", "x")._actions}


@pytest.mark.parametrize("name,command", list(_our_commands()), ids=lambda value: value if isinstance(value, str) else "")
def test_every_command_option_has_help_with_its_default(name, command):
    parser = command.create_parser("manage.py", name)
    for action in parser._actions:
        if action.dest in BASE_OPTIONS:
            continue
        assert action.help, f"{name}: {action.option_strings or action.dest} has no help text"
        if action.option_strings:
            help_text = action.help % {"default": action.default}
            assert "default" in help_text, f"{name}: {action.option_strings} help does not show its default"


NO_GRACE = ["inf", "-inf", "nan", "1e9d", "99999999999h", "31d", "721h", "-1h", "1e400", "²h", "24x", "", "h"]


@pytest.mark.parametrize("grace", NO_GRACE)
@pytest.mark.parametrize("command", ["workspace_key", "provider_key"])
def test_a_grace_that_is_no_sane_duration_is_a_command_error_naming_it(command, grace):
    """Non-finite, negative, unreadable or past the longest grace (30 days, as in the admin's
    rotation form): refused with the option named before anything rotates, never a traceback."""
    with pytest.raises(CommandError) as refused:
        call_command(command, "any-holder", "--grace", grace, stdout=io.StringIO())
    assert "--grace" in str(refused.value), refused.value
    if grace in ("99999999999h", "31d", "721h"):
        assert "at most 30d" in str(refused.value), refused.value


@pytest.mark.parametrize(("grace", "expected"), [("30d", timedelta(days=30)), ("720h", timedelta(days=30)),
                                                 ("1.5h", timedelta(minutes=90)), ("0", timedelta(0)),
                                                 (" 90m ", timedelta(minutes=90)), ("2", timedelta(hours=2))])
def test_graces_up_to_thirty_days_are_read(grace, expected):
    from leadhub.keys import parse_grace

    assert parse_grace(grace) == expected

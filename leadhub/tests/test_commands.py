import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_ensure_admin_creates_one_superuser_and_prints_its_login(capsys):
    call_command("ensure_admin")
    assert "user=admin" in capsys.readouterr().out
    call_command("ensure_admin")
    assert "user(s) admin; password unchanged" in capsys.readouterr().out
    assert get_user_model().objects.filter(is_superuser=True).count() == 1
    assert get_user_model().objects.get(username="admin").check_password("admin")

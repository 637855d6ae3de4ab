"""`manage.py suppression_import` and the admin's upload: one number per line or a CSV's `phone`
column, invalid rows counted, re-import replaces (numbers still listed keep their entry)."""
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from leadhub.testing import valid_phone
from suppression.models import ListKind, SuppressionEntry, SuppressionList

pytestmark = pytest.mark.django_db


def run_import(tmp_path, text, *args):
    path = tmp_path / "list.txt"
    path.write_text(text)
    out, err = io.StringIO(), io.StringIO()
    call_command("suppression_import", "National DNC", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def digits(phone):
    return phone.removeprefix("+1")


def test_an_import_makes_the_list_and_a_reimport_replaces_its_numbers(tmp_path):
    kept, gone, new = valid_phone(), valid_phone(), valid_phone()
    out, err = run_import(tmp_path, f"{digits(kept)}\n{digits(gone)}\n0000000000\n\n{digits(kept)}\n")
    assert "2 numbers (2 new, 0 removed) from 4 rows; 1 not valid US numbers skipped (lines 3)" in out
    assert "progress:" in err and "(done)" in err
    suppression_list = SuppressionList.objects.get(name="National DNC")
    assert suppression_list.kind == ListKind.DNC and suppression_list.imported_at is not None
    first = SuppressionEntry.objects.get(value=kept)

    out, _err = run_import(tmp_path, f"phone,name\n\"{kept}\",Ada\n{digits(new)},Bob\n")
    assert "2 numbers (1 new, 1 removed) from 2 rows." in out
    assert set(suppression_list.entries.values_list("value", flat=True)) == {kept, new}
    assert SuppressionEntry.objects.get(value=kept).pk == first.pk  # kept, not re-made


def test_a_file_without_a_valid_number_changes_nothing(tmp_path):
    with pytest.raises(CommandError, match="No valid US phone number"):
        run_import(tmp_path, "12\nhello\n")
    assert not SuppressionList.objects.exists()


def test_ops_upload_a_small_file_or_add_one_number_in_the_admin():
    suppression_list = SuppressionList.objects.create(name="Do not contact", kind=ListKind.INTERNAL)
    staff = get_user_model().objects.create(username="ops", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    url = reverse("admin:suppression_suppressionlist_upload", args=[suppression_list.pk])
    phone, other = valid_phone(), valid_phone()
    upload = SimpleUploadedFile("list.txt", f"{digits(phone)}\n".encode())
    assert client.post(url, {"file": upload}).status_code == 302
    assert client.post(url, {"phone": other, "reason": "called in"}).status_code == 302
    assert set(suppression_list.entries.values_list("value", flat=True)) == {phone, other}
    page = client.get(reverse("admin:suppression_suppressionlist_changelist"))
    assert b"Upload / add" in page.content
    found = client.get(reverse("admin:suppression_suppressionentry_changelist"), {"q": f"({phone[2:5]}) "
                                                                                       f"{phone[5:8]}-{phone[8:]}"})
    assert phone.encode() in found.content and other.encode() not in found.content
    assert client.post(url, {"phone": "12"}).status_code == 200  # the form again, with the error

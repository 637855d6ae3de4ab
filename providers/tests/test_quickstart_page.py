"""The provider quick start at /api/docs/providers/: its signing examples produce signatures we
accept, and its example answers are the ones the webhook gives."""
import html
import json
import re
import shutil
import subprocess

import pytest

from leadhub.testing import provider_post, valid_phone
from providers.signatures import SignatureError, verify
from providers.views import EXAMPLE_BODY

SECRET = "YOUR_SIGNING_SECRET"  # the placeholder the examples use


@pytest.fixture
def page(client):
    response = client.get("/api/docs/providers/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def block(page, name):
    found = re.search(rf'<pre id="{name}">(.*?)</pre>', page, re.S)
    assert found, name
    return html.unescape(found.group(1))


def test_the_page_names_the_url_headers_and_the_string_to_sign(page):
    assert block(page, "string-to-sign") == "<t>.<raw body>"
    assert "http://testserver/api/v1/webhooks/&lt;webhook_id&gt;/leads/" in page
    for header in ("X-Provider-Id", "X-Api-Key", "X-Leadhub-Signature", "X-Request-ID", "Content-Type"):
        assert f"<code>{header}</code>" in page


def test_the_python_example_signs_as_we_verify(page):
    namespace = {}
    exec(block(page, "sign-python"), namespace)  # noqa: S102 - our own page's example
    assert namespace["body"] == EXAMPLE_BODY.encode()
    verify(SECRET, namespace["signature"], EXAMPLE_BODY.encode())
    with pytest.raises(SignatureError):
        verify("another-secret", namespace["signature"], EXAMPLE_BODY.encode())


@pytest.mark.parametrize(("name", "command"), [("sign-shell", ["bash", "-c"]), ("sign-node", ["node", "-e"])])
def test_the_shell_and_node_examples_sign_as_we_verify(page, name, command):
    if not shutil.which(command[0]) or (name == "sign-shell" and not shutil.which("openssl")):
        pytest.skip(f"{command[0]} is not installed")
    done = subprocess.run([*command, block(page, name)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    verify(SECRET, done.stdout.strip().splitlines()[-1], EXAMPLE_BODY.encode())


@pytest.mark.django_db
def test_the_example_answers_are_the_webhooks_own(page, client, webhook, provider):
    created = json.loads(block(page, "answer-created"))
    failure = json.loads(block(page, "answer-failure"))
    test_mode = json.loads(block(page, "answer-test-mode"))
    path = f"/api/v1/webhooks/{webhook.webhook_id}/leads/"
    lead = {**json.loads(EXAMPLE_BODY), "phone": valid_phone()}
    real_created = provider_post(client, path, lead, provider=provider).json()
    assert set(real_created) == set(created)
    real_failure = provider_post(client, path, {**lead, "email": "ada@", "phone": "555"}, provider=provider).json()
    assert set(real_failure) == set(failure) and set(real_failure["errors"]) == set(failure["errors"])
    webhook.test_mode = True
    webhook.save(update_fields=["test_mode"])
    assert provider_post(client, path, lead, provider=provider).json() == test_mode

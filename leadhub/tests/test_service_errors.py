"""One service-error family: every exception a services package defines is a
leadhub.errors.ServiceRefusal (ServiceConflict for a clash with what is stored), so the API's one
handler answers them all and the admin words them with one helper (leadhub.admin.refusal_words);
none is a Django ValidationError or an HTTP Refusal translated per caller."""
import importlib
import pkgutil

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from leadhub.admin import refusal_words
from leadhub.errors import ServiceConflict, ServiceRefusal, errors_message

PACKAGES = ["appointments.services", "conversions.services", "providers.services", "leads.services", "leads.holds",
            "contacts.services", "ledger.services", "distribution.hand", "distribution.services",
            "workspaces.services", "workspaces.delivery", "workspaces.forwarding",
            "people.services", "suppression.services"]


def exceptions_defined(package: str) -> list[type]:
    """The exceptions a services package's modules (or a services module) define."""
    top = importlib.import_module(package)
    names = [f"{package}.{module.name}" for module in pkgutil.iter_modules(top.__path__)] if hasattr(
        top, "__path__") else [package]
    found = []
    for name in names:
        namespace = vars(importlib.import_module(name))
        found += [value for value in namespace.values() if isinstance(value, type) and issubclass(value, Exception)
                  and value.__module__ == namespace["__name__"]]
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_refusal_of_a_services_package_is_a_service_refusal(package):
    refusals = exceptions_defined(package)

    assert refusals and [r.__qualname__ for r in refusals if not issubclass(r, ServiceRefusal)] == []


@pytest.mark.parametrize("refusal, words", [
    (ServiceRefusal("Invalid appointment data: scheduled_at.", errors={"scheduled_at": ["Too far ahead."]}),
     "Too far ahead."),
    (ServiceConflict("Lead 7 is held (consent).", errors={"holds": ["Lead 7 is held (consent)."]}),
     "Lead 7 is held (consent)."),
    (ServiceRefusal("The body was 70000 bytes."), "The body was 70000 bytes."),
    (ValidationError({"price": ["A price is not negative."], "reason": ["Say why."]}),
     "A price is not negative.; Say why."),
], ids=["field-words-over-a-summary", "reason-said-once", "reason-alone", "django-validation-error"])
def test_the_admin_words_a_refusal_with_one_helper(refusal, words):
    assert refusal_words(refusal) == words


class Invalid(ServiceRefusal):
    code = "validation"


def answer(exc):
    """What the API's one handler answers when a view raises `exc`, rendered to bytes."""

    class Refusing(APIView):
        authentication_classes = ()
        permission_classes = ()

        def post(self, request):
            raise exc

    response = Refusing.as_view()(APIRequestFactory().post("/api/refusing/", {}, format="json"))
    return response.render() if hasattr(response, "render") else response  # a plain JsonResponse is rendered


PRICE = {"price": ["A price is not negative — correct it."], "reason": ["A sale at 0 needs a reason."]}
OLDER = "Merges can be undone for 30 days; this one is older."


@pytest.mark.parametrize("django_error, refusal", [
    (ValidationError(PRICE), Invalid(errors_message(PRICE), errors=PRICE)),
    (ValidationError(OLDER), Invalid(OLDER, errors={"non_field_errors": [OLDER]})),
], ids=["per-field", "body-wide"])
def test_a_validation_refusal_answers_byte_for_byte_what_a_django_validation_error_did(django_error, refusal):
    before, now = answer(django_error), answer(refusal)

    assert (now.status_code, now["Content-Type"], now.content) == (
        before.status_code, before["Content-Type"], before.content)

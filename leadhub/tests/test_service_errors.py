"""One service-error family: every exception a services package defines is a
leadhub.errors.ServiceRefusal (ServiceConflict for a clash with what is stored), so the API's one
handler answers them all and the admin words them with one helper (leadhub.admin.refusal_words);
none is a Django ValidationError or an HTTP Refusal translated per caller."""
import importlib
import pkgutil

import pytest
from django.core.exceptions import ValidationError

from leadhub.admin import refusal_words
from leadhub.errors import ServiceConflict, ServiceRefusal

PACKAGES = ["appointments.services", "conversions.services", "providers.services"]


def exceptions_defined(package: str) -> list[type]:
    found = []
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        namespace = vars(importlib.import_module(f"{package}.{module.name}"))
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

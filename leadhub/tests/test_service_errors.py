"""One service-error family: every exception a services package defines is a
leadhub.errors.ServiceRefusal (ServiceConflict for a clash with what is stored), so the API's one
handler answers them all and the admin words them with one helper (leadhub.admin.refusal_words);
none is a Django ValidationError or an HTTP Refusal translated per caller."""
import importlib
import pkgutil

import pytest

from leadhub.errors import ServiceRefusal

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

"""Project-wide pytest wiring: PostgreSQL-only tests are skipped, with a reason, on SQLite."""
import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL to run it")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture(scope="session", autouse=True)
def isolated_cache_namespace():
    """Rate-limit counters live in the shared Redis: give each test process its own key prefix so
    parallel workers and earlier runs never see each other's counters."""
    import copy
    import uuid

    from django.conf import settings
    from django.test import override_settings

    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"{caches['default'].get('KEY_PREFIX', '')}-test-{uuid.uuid4().hex[:8]}"
    with override_settings(CACHES=caches):
        yield

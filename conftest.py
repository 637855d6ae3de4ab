"""Project-wide pytest wiring: PostgreSQL-only tests are skipped, with a reason, on SQLite (and a
skip fails the run where the services are required: `leadhub.testing.required`)."""
import pytest
from django.db import connection

pytest_plugins = [
    "leadhub.testing.required",  # a skip fails the run where the services are required
    "leadhub.testing.clock",  # the `frozen_clock` fixture
    "leadhub.testing.query_counts",  # the `query_baseline` fixture and --update-query-counts
    "leadhub.testing.ledger_wipe",  # the test flush's pass through the ledger's wipe refusal
    "leadhub.testing.seeds",  # rows the data migrations seeded, put back after each test flush
    "leadhub.testing.procs",  # the `proxied_database` fixture of the database cut tests, `eager_celery`
]


def pytest_collection_modifyitems(config, items):
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    if on_postgres:
        sqlite_only = [item for item in items if "sqlite_only" in item.keywords]
        if sqlite_only:
            config.hook.pytest_deselected(items=sqlite_only)
            items[:] = [item for item in items if "sqlite_only" not in item.keywords]
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


def _is_transactional(item):
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """A transactional test ends with a flush that also wipes rows seeded by data migrations
    (pipeline stages, role groups); put them back so the tests after it see a migrated database."""
    result = yield
    # No next test (end of the session, or of an xdist worker's share): the test database is
    # already gone, and nothing needs the rows.
    if _is_transactional(item) and nextitem is not None:
        from django.apps import apps
        from pytest_django.plugin import blocking_manager_key

        from leadhub.roles import sync_role_groups
        from leadhub.testing import ensure_pipeline_stages

        with item.config.stash[blocking_manager_key].unblock():
            ensure_pipeline_stages()
            sync_role_groups(apps)
    return result


@pytest.fixture
def webhook(db):
    """A webhook whose id no earlier run used (its rate-limit counters start at zero)."""
    from leadhub.testing import make_webhook, unique_id

    return make_webhook(unique_id("wh"))


@pytest.fixture
def provider(db):
    """A provider, new to the rate limiter, that authenticates with `leadhub.testing.PROVIDER_API_KEY`."""
    from leadhub.testing import make_keyed_provider

    return make_keyed_provider()

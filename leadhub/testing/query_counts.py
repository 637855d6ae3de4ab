"""Query-count baselines (NetBox style): the exact number of queries of every hot path, kept per
app in `<app>/tests/query_counts.json` and keyed by database vendor (PostgreSQL runs statements
SQLite does not: `SET LOCAL lock_timeout`, and the two count savepoints differently).

A test measures a block against its baseline:

    def test_something(query_baseline):
        with query_baseline("partner-lead-list"):
            client.get("/api/v1/leads/")

A count that differs from the file fails, so a change in the hot path only passes together with
the changed file, where review sees it. `pytest --update-query-counts` writes the counts measured
for the current vendor instead of checking them (under xdist each worker reports its counts and
the controller writes them once), leaving the other vendor's and unmeasured names as they are.
"""
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

FILE_NAME = "query_counts.json"
OPTION = "--update-query-counts"
_measured = pytest.StashKey[dict]()  # (file, vendor, name) -> count: this process's, or all workers' on the controller
_conflicts = pytest.StashKey[list]()  # names two workers measured differently


def pytest_addoption(parser):
    parser.addoption(OPTION, action="store_true",
                     help="Write the measured query counts to <app>/tests/query_counts.json instead of checking them.")


def pytest_configure(config):
    config.stash[_measured] = {}
    config.stash[_conflicts] = []


def baseline_file(app: str) -> Path:
    return Path(settings.BASE_DIR) / app / "tests" / FILE_NAME


def app_of(path) -> str:
    """The project app a test module belongs to: the folder above its `tests` folder."""
    relative = Path(path).resolve().relative_to(Path(settings.BASE_DIR).resolve())
    return relative.parts[0]


class QueryBaseline:
    def __init__(self, config, app: str):
        self.config, self.app = config, app
        self.updating = config.getoption(OPTION)

    @contextmanager
    def __call__(self, name: str, *, app: str | None = None, logged: bool = True) -> Iterator[list]:
        """Count the block's queries (yields the list of their SQL). `logged=False` counts them
        with an execute wrapper instead of the query log, so the block runs as in production:
        a logged connection takes other paths (leadhub.db.prepared_fetchall)."""
        if logged:
            with CaptureQueriesContext(connection) as captured:
                yield captured
            self.check(name, len(captured), app=app)
            return
        statements = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        assert not connection.queries_logged, "queries are logged (DEBUG?): the block would not run as in production"
        with connection.execute_wrapper(count):
            yield statements
        self.check(name, len(statements), app=app)

    def check(self, name: str, count: int, *, app: str | None = None):
        path = baseline_file(app or self.app)
        vendor = connection.vendor
        if self.updating:
            measured = self.config.stash[_measured]
            earlier = measured.setdefault((str(path), vendor, name), count)
            assert earlier == count, f"query count of {name!r} is not stable within the run: {earlier}, then {count}"
            return
        expected = read(path).get(vendor, {}).get(name)
        if expected is None:
            pytest.fail(f"no {vendor} query-count baseline {name!r} in {path}: run pytest with {OPTION}")
        if count != expected:
            pytest.fail(f"query count of {name!r} changed: baseline {expected}, now {count} ({vendor}, {path}); "
                        f"if intended, run pytest with {OPTION} and commit the file with the change")


@pytest.fixture
def query_baseline(request) -> QueryBaseline:
    """Checks query counts against the baselines of the test's own app (`app=` names another)."""
    return QueryBaseline(request.config, app_of(request.node.path))


def read(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def write(measured: dict):
    by_file = {}
    for (path, vendor, name), count in measured.items():
        by_file.setdefault(path, {}).setdefault(vendor, {})[name] = count
    for path, vendors in by_file.items():
        path = Path(path)
        data = read(path)
        for vendor, counts in vendors.items():
            data.setdefault(vendor, {}).update(counts)
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist controller: take in the counts a worker measured."""
    reported = getattr(node, "workeroutput", {}).get("query_counts", [])
    measured = node.config.stash[_measured]
    for path, vendor, name, count in reported:
        earlier = measured.setdefault((path, vendor, name), count)
        if earlier != count:
            node.config.stash[_conflicts].append(f"{name!r} ({vendor}): {earlier} and {count}")


def pytest_sessionfinish(session):
    config = session.config
    if not config.getoption(OPTION):
        return
    measured = config.stash[_measured]
    if hasattr(config, "workeroutput"):  # an xdist worker: the controller writes
        config.workeroutput["query_counts"] = [[*key, count] for key, count in measured.items()]
        return
    if config.stash[_conflicts]:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        config.get_terminal_writer().line(
            "query counts differ between workers, nothing written: " + "; ".join(config.stash[_conflicts]), red=True
        )
        return
    write(measured)

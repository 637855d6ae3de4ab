"""The layout holds: imports point down the app order, tenancy needs no app registry lookup, the
workspace models need no HTTP client, and test code stays out of everything that is not a test."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ORDER = [
    "leadhub", "workspaces", "providers", "contacts", "leads", "ledger", "distribution", "appointments", "conversions",
    "people", "analytics",
]
TEST_PACKAGE = "leadhub.testing"


def is_test_code(path):
    parts = path.relative_to(ROOT).parts
    return "tests" in parts or parts[:2] == ("leadhub", "testing") or path.name == "conftest.py"


def runtime_modules(*tops):
    for top in tops:
        for path in sorted((ROOT / top).rglob("*.py")):
            if not is_test_code(path) and "migrations" not in path.parts:
                yield path


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def registry_lookups(path):
    """App labels named in `apps.get_model("<label>", ...)` / `get_model("<label>.<Model>")` calls."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        is_call = isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "get_model"
        if is_call and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            yield node.args[0].value.split(".")[0]


def test_imports_point_down_the_app_order():
    upward = []
    for path in runtime_modules(*APP_ORDER):
        rank = APP_ORDER.index(path.relative_to(ROOT).parts[0])
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in APP_ORDER and APP_ORDER.index(top) > rank:
                upward.append(f"{path.relative_to(ROOT)} imports {module}")
    assert upward == []


def test_no_registry_lookup_reaches_a_higher_app_outside_migrations():
    hidden = []
    for path in runtime_modules(*APP_ORDER):
        rank = APP_ORDER.index(path.relative_to(ROOT).parts[0])
        hidden += [f"{path.relative_to(ROOT)} looks up {label}" for label in registry_lookups(path)
                   if label in APP_ORDER and APP_ORDER.index(label) > rank]
    assert hidden == []


@pytest.mark.parametrize("tops", [APP_ORDER, ["bench", "scripts"]], ids=["runtime", "bench-and-scripts"])
def test_nothing_but_tests_imports_the_testing_package(tops):
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in runtime_modules(*tops)
        for module in imported_modules(path)
        if module == TEST_PACKAGE or module.startswith(f"{TEST_PACKAGE}.")
    ]
    assert offenders == []


def test_the_workspace_models_do_not_import_the_http_delivery_module():
    assert "workspaces.delivery" not in set(imported_modules(ROOT / "workspaces" / "models.py"))

"""The layout holds: imports point down the app order, and so do the reads and calls that need no
import (a reverse accessor of a model above, a dotted path resolved at run time); tenancy needs no
app registry lookup, the workspace models need no HTTP client, and test code stays out of
everything that is not a test."""
import ast
import functools
import re
import textwrap
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_ORDER = [
    "leadhub", "workspaces", "providers", "contacts", "suppression", "compliance", "leads", "ledger", "distribution",
    "appointments", "conversions", "returns", "billing", "sources", "people", "analytics",
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


@functools.cache
def upward_relation_names(rank):
    """Accessor and query names the models an app at `rank` may see (its own and those below) get
    from a foreign key declared in an app above it (`lead.decisions`, `workspace.lead_accesses`):
    reading one is reaching up."""
    names = set()
    for model in apps.get_models():
        if model._meta.app_label not in APP_ORDER[: rank + 1]:
            continue
        for relation in model._meta.related_objects:
            label = relation.related_model._meta.app_label
            if label in APP_ORDER and APP_ORDER.index(label) > rank and not relation.hidden:
                names |= {relation.get_accessor_name(), relation.field.related_query_name()}
    return frozenset(names)


# Calls whose string arguments and keyword names are ORM paths (`prefetch_related("decisions")`,
# `filter(conversions__isnull=True)`, `F("sales__price")`).
ORM_PATH_CALLS = {
    "filter", "exclude", "get", "annotate", "aggregate", "alias", "values", "values_list", "order_by",
    "prefetch_related", "select_related", "only", "defer", "Prefetch", "F", "Q", "Count", "Sum", "Max", "Min",
    "Avg", "get_or_create", "update_or_create",
}
# Of those, the ones whose keyword names are paths too (elsewhere a keyword names a new alias).
KEYWORD_PATH_CALLS = {"filter", "exclude", "get", "Q", "get_or_create", "update_or_create"}


def reverse_reads(tree, names):
    """`obj.<name>` attribute reads and ORM paths starting with `<name>` in `tree`, for `names`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in names:
            yield f"line {node.lineno}: .{node.attr}"
        elif isinstance(node, ast.Call) and (call := getattr(node.func, "attr", getattr(node.func, "id", ""))) in ORM_PATH_CALLS:
            paths = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            paths += [k.arg for k in node.keywords if k.arg and call in KEYWORD_PATH_CALLS]
            yield from (f"line {node.lineno}: {p!r}" for p in paths if p.split("__")[0] in names)


def template_reads(text, names):
    """`{{ lead.decisions.first }}`, `{% for a in lead.appointments.all %}`: template variables that
    walk a reverse accessor in `names`."""
    for tag in re.findall(r"{[{%].*?[%}]}", text, re.S):
        yield from (f"{tag!r}" for name in re.findall(r"\.(\w+)", tag) if name in names)


def templates():
    """(template, the app whose page it is): `<app>/templates/…` and `templates/[admin/]<app>/…`;
    the project's own admin pages (`templates/admin/index.html`) are leadhub's."""
    for path in sorted([*ROOT.glob("*/templates/**/*.html"), *ROOT.glob("templates/**/*.html")]):
        parts = path.relative_to(ROOT).parts
        yield path, next((part for part in parts[:-1] if part in APP_ORDER), "leadhub")


# Calls that turn a dotted path into code at run time.
DOTTED_RESOLVERS = {"import_string", "import_module", "locate", "__import__"}


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        yield from (s for item in value.values() for s in _strings(item))
    elif isinstance(value, (list, tuple, set)):
        yield from (s for item in value for s in _strings(item))


def dotted_calls(tree, rank, config):
    """Dotted paths resolved at run time in `tree` that name an app above `rank`: a constant, or any
    path in a setting the argument reads (`import_string(settings.HANDLERS[kind])`) looked up in
    `config`. A path from anywhere else cannot be checked, so it is named too."""
    for node in ast.walk(tree):
        resolver = isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
        if resolver not in DOTTED_RESOLVERS or not node.args:
            continue
        argument = node.args[0]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            paths = [argument.value]
        else:
            read = [n.attr for n in ast.walk(argument) if isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name) and n.value.id == "settings"]
            if not read:
                yield f"line {node.lineno}: {resolver} of a path this test cannot read"
                continue
            paths = [s for name in read for s in _strings(getattr(config, name, None))]
        yield from (f"line {node.lineno}: {resolver} reaches {path}" for path in paths
                    if path.split(".")[0] in APP_ORDER and APP_ORDER.index(path.split(".")[0]) > rank)


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


def test_no_reverse_accessor_reads_a_higher_app():
    upward = []
    for path in runtime_modules(*APP_ORDER):
        names = upward_relation_names(APP_ORDER.index(path.relative_to(ROOT).parts[0]))
        tree = ast.parse(path.read_text(), filename=str(path))
        upward += [f"{path.relative_to(ROOT)} {read}" for read in reverse_reads(tree, names)]
    assert upward == []


def test_no_template_reads_a_reverse_accessor_into_a_higher_app():
    upward = []
    for path, app in templates():
        names = upward_relation_names(APP_ORDER.index(app))
        upward += [f"{path.relative_to(ROOT)} {read}" for read in template_reads(path.read_text(), names)]
    assert upward == []


def test_no_dotted_path_resolved_at_run_time_reaches_a_higher_app():
    upward = []
    for path in runtime_modules(*APP_ORDER):
        rank = APP_ORDER.index(path.relative_to(ROOT).parts[0])
        tree = ast.parse(path.read_text(), filename=str(path))
        upward += [f"{path.relative_to(ROOT)} {call}" for call in dotted_calls(tree, rank, settings)]
    assert upward == []


def planted(source):
    return ast.parse(textwrap.dedent(source))


@pytest.mark.parametrize("app, source", [
    ("leads", "lead.decisions.first()"),
    ("workspaces", "workspace.lead_accesses.live()"),
    ("leads", "Lead.objects.prefetch_related('appointments')"),
    ("leads", "Lead.objects.filter(conversions__isnull=True)"),
    ("contacts", "Contact.objects.annotate(n=Count('leads'))"),
], ids=["accessor", "accessor-chain", "prefetch", "lookup", "aggregate"])
def test_the_reverse_accessor_check_names_a_planted_read(app, source):
    """The check above is only as good as what it sees: a read planted in a module of `app` is named."""
    assert list(reverse_reads(planted(source), upward_relation_names(APP_ORDER.index(app)))) != []


def test_the_template_check_names_a_planted_read():
    names = upward_relation_names(APP_ORDER.index("leads"))
    planted_page = "{% for a in lead.appointments.all %}{{ a }}{% endfor %} {{ lead.decisions.first.result }}"
    assert len(list(template_reads(planted_page, names))) == 2
    assert list(template_reads("{{ lead.contact.phone }} {% for e in lead.events.all %}{% endfor %}", names)) == []


def test_the_reverse_accessor_check_passes_reads_within_and_below():
    source = "lead.accesses.live(); lead.contact.leads.all(); Lead.objects.filter(events__isnull=False)"
    assert list(reverse_reads(planted(source), upward_relation_names(APP_ORDER.index("leads")))) == []


class PlantedSettings:
    HANDLERS = {"lead": "leads.services.ingest.lead_ingest", "appointment": "appointments.services.intake"}
    DOWN = {"lead": "leads.services.ingest.lead_ingest"}


@pytest.mark.parametrize("source, named", [
    ("import_string(settings.HANDLERS[kind])", True),
    ("handler = import_string(settings.DOWN[kind])", False),
    ("importlib.import_module('appointments.services')", True),
    ("import_module('leads.services')", False),
    ("import_string(path)", True),
], ids=["setting-upward", "setting-down", "constant-upward", "constant-down", "unreadable"])
def test_the_dotted_path_check_names_a_planted_upward_call(source, named):
    """From a leads module: a path into appointments (above), in a setting or a constant, is named;
    one into leads itself is not; a path the check cannot read is named."""
    rank = APP_ORDER.index("leads")
    assert bool(list(dotted_calls(planted(source), rank, PlantedSettings))) is named


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

"""Nothing gives a workspace a lead except through the gate (leads.gate): no runtime module but
the gate grants a lead access record, sends a lead event or forwarding copy, and sale rows are
written only by a function that passed `lead_gate` first. A new path that goes around it fails
here, in review, before a held lead can leak through it."""
import ast
from pathlib import Path

from leadhub.tests.test_layers import APP_ORDER, ROOT, runtime_modules

GATE = Path("leads/gate.py")
# Calls only the gate may make: the grant, and the lead's outbound event and copies.
GATE_ONLY = {"lead_access_grant", "lead_forward_rules_apply", "lead_event_data"}
# Where each of those is defined (a definition is not a call around the gate).
DEFINED_IN = {"lead_access_grant": Path("leads/services/access.py"),
              "lead_forward_rules_apply": Path("workspaces/forwarding.py"),
              "lead_event_data": Path("leads/events.py")}
SALE_WRITES = {"create", "bulk_create", "get_or_create", "update_or_create"}


def _called_name(node):
    return getattr(node.func, "id", None) or getattr(node.func, "attr", None)


def _is_lead_outbox_emit(node):
    """`outbox_emit(..., subject_type="lead")`: a lead event written straight to the outbox."""
    return _called_name(node) == "outbox_emit" and any(
        keyword.arg == "subject_type" and isinstance(keyword.value, ast.Constant) and keyword.value.value == "lead"
        for keyword in node.keywords
    )


def _is_sale_write(node):
    func = node.func
    if isinstance(func, ast.Name) and func.id == "Sale":
        return True
    return (isinstance(func, ast.Attribute) and func.attr in SALE_WRITES and isinstance(func.value, ast.Attribute)
            and func.value.attr == "objects" and getattr(func.value.value, "id", None) == "Sale")


def gate_bypasses(source: str, path: Path) -> list[str]:
    """Each place in `source` (the module at `path`, relative to the repository) that gives a
    workspace a lead without the gate."""
    found = []
    tree = ast.parse(source, filename=str(path))
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if path != GATE and name in GATE_ONLY and DEFINED_IN[name] != path:
            found.append(f"{path}:{node.lineno} calls {name} outside the gate (leads.gate)")
        if path != GATE and _is_lead_outbox_emit(node):
            found.append(f"{path}:{node.lineno} emits a lead event outside the gate (leads.gate.lead_event_send)")
        if _is_sale_write(node):
            enclosing = [f for f in functions if f.lineno <= node.lineno <= f.end_lineno]
            gated = enclosing and any(
                isinstance(inner, ast.Call) and _called_name(inner) == "lead_gate" and inner.lineno < node.lineno
                for inner in ast.walk(enclosing[-1])
            )
            if not gated:
                found.append(f"{path}:{node.lineno} writes a sale without passing lead_gate first")
    return found


def test_nothing_reaches_a_workspace_around_the_gate():
    bypasses = []
    for path in runtime_modules(*APP_ORDER):
        bypasses += gate_bypasses(path.read_text(), path.relative_to(ROOT))
    assert bypasses == []


PLANTED = '''
from leads.services.access import lead_access_grant
from workspaces.delivery import outbox_emit
from distribution.models import Sale


def sneak(lead, workspace):
    lead_access_grant(lead=lead, workspace=workspace, how="routed", by="x")
    outbox_emit(workspace=workspace, event_type="lead.assigned", data={}, subject_type="lead", subject_id=lead.pk)
    Sale.objects.create(lead=lead, workspace=workspace)


def gated(lead, workspace):
    lead_gate(lead=lead)
    Sale.objects.bulk_create([Sale(lead=lead, workspace=workspace)])
'''


def test_a_planted_path_around_the_gate_is_found():
    assert gate_bypasses(PLANTED, Path("appointments/sneaky.py")) == [
        "appointments/sneaky.py:8 calls lead_access_grant outside the gate (leads.gate)",
        "appointments/sneaky.py:9 emits a lead event outside the gate (leads.gate.lead_event_send)",
        "appointments/sneaky.py:10 writes a sale without passing lead_gate first",
    ]
    assert gate_bypasses(PLANTED.replace("appointments", "x"), GATE)[-1:] == [
        "leads/gate.py:10 writes a sale without passing lead_gate first"
    ]

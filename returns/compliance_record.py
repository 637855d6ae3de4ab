"""The returns' section of a lead's compliance record (`leads.compliance_record`): each return of
the lead with its reason, state and decision, and the credit booked for it. A workspace reads its
own returns. Registered at ready()."""
from ledger.models import Entry, EntryKind

from .models import Return


def lead_return_entries(*, lead, workspace) -> list[dict]:
    returns = Return.objects.filter(lead=lead).select_related("reason").order_by("requested_at", "id")
    if workspace is not None:
        returns = returns.filter(workspace=workspace)
    returns = list(returns)
    credits = dict(Entry.objects.filter(kind=EntryKind.RETURN_CREDIT,
                                        reference__in=[f"return:{ret.sale_id}" for ret in returns])
                   .values_list("reference", "amount")) if returns else {}
    entries = []
    for ret in returns:
        credit = credits.get(f"return:{ret.sale_id}")
        entry = {"workspace_id": ret.workspace_id, "reason": ret.reason.code, "note": ret.note, "state": ret.state,
                 "requested_at": ret.requested_at, "decided_at": ret.decided_at,
                 "decision_reason": ret.decision_reason, "credit": None if credit is None else str(credit)}
        if workspace is None:
            entry.update(requested_by=ret.requested_by, decided_by=ret.decided_by, verified=ret.verified)
        entries.append(entry)
    return entries

"""Distribution's sections of a lead's compliance record (`leads.compliance_record`): the sales
of the lead, every outbound delivery about it with its attempts, and, for ops, the distribution
decisions (their candidates name other buyers). Registered at ready()."""
from django.db.models import Prefetch

from workspaces.models import DeliveryAttempt, DeliveryStatus
from workspaces.selectors import outbound_events_visible_to

from .models import Decision, Sale


def lead_sale_entries(*, lead, workspace) -> list[dict]:
    """Each buyer that bought the lead (or an appointment covering it): offer, price and when;
    a workspace sees its own sales only."""
    sales = Sale.objects.filter(lead=lead).order_by("sold_at", "id")
    if workspace is not None:
        sales = sales.filter(workspace=workspace)
    entries = []
    for sale in sales:
        entry = {"workspace_id": sale.workspace_id, "subject": sale.subject, "offer_id": sale.offer_id,
                 "price": str(sale.price), "exclusive": sale.exclusive, "sold_at": sale.sold_at}
        if workspace is None:
            entry.update(by=sale.by, note=sale.note)
        entries.append(entry)
    return entries


def delivery_waiting(event) -> dict | None:
    """Why an outbound delivery has not gone yet, and until when (None: it is not waiting).

    The one place the record says so: a held lead's event waits for the release; a calling
    buyer's for the consumer's calling window to open (`wait_reason` says which rule); a pending
    one for its next attempt. A delivery refused when due says why it never left."""
    if event.status == DeliveryStatus.HELD:
        return {"reason": "lead_held", "until": None}
    if event.status == DeliveryStatus.WAITING:
        return {"reason": "calling_window", "until": event.not_before, "why": event.wait_reason}
    if event.status == DeliveryStatus.REFUSED:
        return {"reason": "refused", "until": None, "why": event.wait_reason}
    if event.status == DeliveryStatus.PENDING and event.delivered_at is None:
        return {"reason": "retry" if event.attempts else "queued", "until": event.next_attempt_at}
    return None


def lead_delivery_entries(*, lead, workspace) -> list[dict]:
    """Every outbound delivery about the lead (lead events to its buyers; for ops also forwarding
    copies to external URLs): what was sent, to whom, its state, whether and why it waits, and
    each attempt. A workspace reads its own, as its outbound-event list shows them (not the
    withdrawn nor the held). Two queries."""
    events = outbound_events_visible_to(workspace=workspace).filter(subject_type="lead", subject_id=str(lead.pk))
    events = events.order_by("created_at", "id").prefetch_related(
        Prefetch("attempt_log", queryset=DeliveryAttempt.objects.order_by("created_at", "id")))
    entries = []
    for event in events:
        entry = {
            "event_id": str(event.id), "event_type": event.event_type, "workspace_id": event.workspace_id,
            "created_at": event.created_at, "status": event.status, "waiting": delivery_waiting(event),
            "delivered_at": event.delivered_at, "target_url": event.target_url, "sent": event.envelope(),
            "attempts": [
                {"at": attempt.created_at, "outcome": attempt.outcome, "status_code": attempt.status_code,
                 "error": attempt.error}
                for attempt in event.attempt_log.all()
            ],
        }
        if workspace is None:
            entry.update(forwarding_rule_id=event.forwarding_rule_id, withdrawn_at=event.withdrawn_at)
        entries.append(entry)
    return entries


def lead_decision_entries(*, lead, workspace) -> list[dict]:
    """Each distribution decision on the lead (ops only): result, strategy, verdicts refused."""
    return [
        {"at": decision.created_at, "result": decision.result, "strategy": decision.strategy,
         "workspace_ids": decision.workspace_ids, "refused": decision.refused, "error": decision.error}
        for decision in Decision.objects.filter(lead=lead).order_by("created_at", "id")
    ]

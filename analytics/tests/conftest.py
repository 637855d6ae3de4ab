"""A small fixed data set with hand-computed KPI answers (see the numbers in test_selectors)."""
from datetime import date, datetime, UTC

import pytest

from leadhub.choices import LeadType
from leadhub.testing import (
    backdate,
    make_appointment,
    make_contact,
    make_conversion,
    make_lead,
    make_provider,
    make_workspace,
)

FROM, TO = date(2025, 4, 1), date(2025, 4, 3)


def at(day, hour=0, minute=0):
    return datetime(2025, 4, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def kpi_data(db):
    from providers.models import RejectedSubmission, RejectedSubmissionTally

    ws_a, ws_b = make_workspace("ws-a"), make_workspace("ws-b")
    p1, p2 = make_provider("p1"), make_provider("p2")
    c1 = make_contact(webhook_id="wh-s")
    c2, c3 = make_contact(webhook_id="wh-h"), make_contact(webhook_id="wh-h")
    c4 = make_contact(webhook_id="wh-i")

    def lead(contact, lead_type, workspace, state, zip_code, created_at, provider):
        row = make_lead(contact, lead_type=lead_type, workspace=workspace, state=state, zip_code=zip_code,
                        provider_id=provider.provider_id if provider else "")
        row.events.create(event_type="received", event_data={"provider_id": provider.provider_id if provider else None})
        return backdate(row, created_at=created_at)

    l1 = lead(c1, LeadType.SOLAR, ws_a, "CA", "94105", at(1, 10), p1)
    l2 = lead(c1, LeadType.SOLAR, ws_a, "CA", "94107", at(1, 12), p1)
    l3 = lead(c2, LeadType.HVAC, ws_a, "IL", "60601", at(2, 9), p2)
    l4 = lead(c3, LeadType.HVAC, ws_b, "IL", "60601", at(2, 10), p2)
    l5 = lead(c4, LeadType.INSURANCE, None, "NY", "10001", at(3, 8), None)
    lead(c4, LeadType.INSURANCE, None, "NY", "10001", at(10, 8), None)  # outside the range

    make_conversion(l1, workspace=ws_a, conversion_value="1000.00", converted_at=at(1, 12))  # 7200 s
    make_conversion(l2, workspace=ws_a, conversion_value="100.00", converted_at=at(1, 13))  # 3600 s
    make_conversion(l2, workspace=ws_a, conversion_value="999.00", converted_at=at(1, 14), voided_at=at(2))
    make_conversion(l3, workspace=ws_a, conversion_value="500.00", converted_at=at(2, 13))  # 14400 s
    make_conversion(l4, workspace=ws_b, conversion_value="300.00", converted_at=at(3, 10))  # 86400 s
    make_conversion(None, contact=c2, workspace=ws_a, conversion_value="200.00", converted_at=at(2, 15))

    for contact, row, workspace, created, kind in [
        (c1, l1, ws_a, at(1, 11), "consultation"),  # followed by ws-a's conversion at 12:00
        (c2, l3, ws_a, at(2, 14), "estimate"),  # followed by ws-a's lead-less conversion at 15:00
        (c3, l4, ws_a, at(2, 9), "consultation"),  # converted, but by ws-b: does not count; routing gives ws-a l4
        (c4, l5, None, at(3, 9), "follow_up"),
    ]:
        backdate(make_appointment(contact, row, matched_workspace=workspace, appointment_type=kind), created_at=created)

    for provider_id, occurrences in [("p1", 3), ("p2", 1), ("", 1)]:
        refused = RejectedSubmission.objects.create(
            webhook_id="wh-s", provider_id=provider_id, reason_code="invalid_payload", reason="bad", http_status=422,
        )
        RejectedSubmissionTally.objects.create(submission=refused, occurrences=occurrences)
        backdate(refused, created_at=at(1, 6))

    from leads.models import Lead

    Lead.objects.filter(pk=l1.pk).update(status="contacted")
    l1.status_history.create(old_status="new", new_status="contacted", changed_by="ops")
    Lead.objects.filter(pk=l3.pk).update(status="qualified")
    l3.status_history.create(old_status="new", new_status="contacted", changed_by="ops")
    l3.status_history.create(old_status="contacted", new_status="qualified", changed_by="ops")
    return {"ws_a": ws_a, "ws_b": ws_b, "leads": [l1, l2, l3, l4, l5]}

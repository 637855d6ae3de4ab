"""A phone or email suppressed after its lead reached buyers: each workspace that holds such a
lead (a live lead_access row) and that the entry applies to gets `lead.suppressed`, through the
gate's event path, in the transaction that added the entry (suppression sends
`suppression_added` from it)."""
from django.db.models import Q
from django.db.models.functions import Lower

from leads.gate import lead_event_send
from leads.models import LeadAccess
from suppression.kinds import Match, applies_to
from suppression.models import Channel, SuppressionEntry
from workspaces.models import EventType


def lead_suppressed_tell(*, suppression_list, since) -> int:
    """Send `lead.suppressed` for the leads whose phone or email entered `suppression_list` at or
    after `since`, to each of their holders the entry applies to. One query finds the holders
    (the new entries joined to the leads by value, which an import may hold a million of); a
    second reads the entries those leads matched. Returns how many events were queued."""
    new = SuppressionEntry.objects.filter(suppression_list=suppression_list, added_at__gte=since).exclude(value="")
    # A list keeps an email lower-cased (suppression.keys.email_key), a lead as posted: compared
    # lower-cased, on the index leads_email_created_idx is built on.
    holders = list(LeadAccess.objects.live().annotate(lead_email=Lower("lead__email")).filter(
        Q(lead__phone__in=new.filter(channel=Channel.PHONE).values("value"))
        | Q(lead_email__in=new.filter(channel=Channel.EMAIL).values("value"))
    ).select_related("lead", "workspace").order_by("lead_id", "workspace_id"))
    if not holders:
        return 0
    values = {access.lead.phone for access in holders} | {access.lead_email for access in holders}
    to_all = dict(new.filter(value__in=values).values_list("value", "applies_to_all"))
    sent = 0
    for access in holders:
        lead = access.lead
        channel, value = (Channel.PHONE, lead.phone) if lead.phone in to_all else (Channel.EMAIL, access.lead_email)
        match = Match(kind=suppression_list.kind, list_workspace_id=suppression_list.workspace_id,
                      applies_to_all=to_all.get(value, False))
        if applies_to(match, access.workspace):
            lead_event_send(lead=lead, workspace=access.workspace, event_type=EventType.LEAD_SUPPRESSED,
                            access=access, suppressed=channel)
            sent += 1
    return sent

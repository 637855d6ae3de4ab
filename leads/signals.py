"""Signals leads sends for the apps above it (which may not be imported from here)."""
from django.dispatch import Signal

# Sent by `lead_ingest` once a new lead's own transaction has ended (committed, or released to
# the caller's transaction), only when the caller asks for distribution. Arguments: lead,
# webhook, sent_from_workspace. Receivers must not raise: the lead is already accepted. A receiver
# may answer {"sold": bool, "price": Decimal | None} (the source's payout) for the webhook answer.
lead_accepted = Signal()

# Sent by `lead_ingest` when a post is a replay of an earlier one (nothing written by leads).
# Arguments: lead, webhook. A receiver may answer {"sold": bool, "price": Decimal | None} (the
# source's payout booked for the lead) so the replay answers what the original did, or what the
# distribution it ran for a lead left without a decision did. Receivers must not raise.
lead_replayed = Signal()

# Sent by `leads.holds.lead_hold_release` after the transaction that released a lead's last hold.
# Arguments: lead, by. Receivers do what waited for the lead, each in its own transaction, in the
# order they are connected (distribution, then appointments: the app order), and may answer
# {name: "what happened, in words"} for the release's answer.
lead_released = Signal()

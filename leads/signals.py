"""Signals leads sends for the apps above it (which may not be imported from here)."""
from django.dispatch import Signal

# Sent by `leads.holds.lead_hold_release` after the transaction that released a lead's last hold.
# Arguments: lead, by. Receivers do what waited for the lead, each in its own transaction, in the
# order they are connected (distribution, then appointments: the app order), and may answer
# {name: "what happened, in words"} for the release's answer.
lead_released = Signal()

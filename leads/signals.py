"""Signals leads sends for the apps above it (which may not be imported from here)."""
from django.dispatch import Signal

# Sent by `lead_ingest` once a new lead's own transaction has ended (committed, or released to
# the caller's transaction), only when the caller asks for distribution. Arguments: lead,
# webhook, sent_from_workspace. Receivers must not raise: the lead is already accepted. A receiver
# may answer {"sold": bool, "price": Decimal | None} (the source's payout) for the webhook answer.
lead_accepted = Signal()

# Sent by `lead_consent_release` inside its transaction once a held lead is released. Argument:
# lead. Receivers write in that transaction (appointments send the forwards that waited).
lead_consent_released = Signal()

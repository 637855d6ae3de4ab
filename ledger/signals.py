"""What the ledger tells the apps above it."""
from django.dispatch import Signal

# Entries were just added, in the caller's transaction (kwargs: `entries`, the Entry rows as
# written; an entry whose (kind, reference) was booked before is among them, unsaved: `pk` None
# on both databases, so a receiver tells a repeat by looking the reference up).
entries_recorded = Signal()

"""Signals suppression sends for the apps above it (which may not be imported from here)."""
from django.dispatch import Signal

# Sent inside the transaction that added entries to a list (a report, an import, ops' admin).
# Arguments: suppression_list, since (the entries added at or after it are new). Leads tells each
# workspace that holds a lead of a newly suppressed phone or email (`lead.suppressed`).
suppression_added = Signal()

"""What the returns app tells the apps above it (their receivers connect at `ready()`)."""
from django.dispatch import Signal

# Sent in the approving transaction, after the return's money is booked: `ret` (the Return),
# `lead`, `payout_change` (the chargeback this return booked for the source, 0 when none) and `at`.
return_approved = Signal()

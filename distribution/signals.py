"""What the one sale path tells the apps above it."""
from django.dispatch import Signal

# A lead was sold (distribution, a retry, ops' hand sale: distribution.selling.sales_make), in the
# sale's transaction, after its claims held (kwargs: `lead`, `sales`, `webhook` (None: the caller
# named none), `at`). Never sent for an appointment's sale.
lead_sold = Signal()

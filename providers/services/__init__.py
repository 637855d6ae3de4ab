"""Moving into one module per family; this re-export goes with the split."""
from .rejected import *  # noqa: F403

"""Moving into one module per family; this re-export goes with the split."""
from .create import *  # noqa: F403

"""Lead use cases (writes), one module per family; callers import from the family module.

- `ingest`: a new lead arrives (webhook, CSV import, re-processing, partner referral).
- `assignment`: which workspace holds a lead, and that workspace's accept/reject answer.
- `status`: pipeline status changes (holds and their release: leads.holds).
- `working`: the working fields, activities, and a partner's combined PATCH.
- `tracking`: what those writes share (the lead row lock, the workspace_tracking row).
"""

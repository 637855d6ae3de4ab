"""Appointment use cases (writes), one module per family; callers import from the family module.

- `intake`: an appointment arrives (a provider's webhook post, a partner's API call) and the
  leads it names are looked up.
- `create`: `appointment_create`, where every path that creates an appointment ends.
- `routing`: its workspace through the one sale path, at creation, by ops, at a hold's release.
- `forwarding`: its events to that workspace, the forward's mirror, "Forward again".
- `status`: the status machine and edits (`appointment_status_change`, `appointment_update`).
- `common`: what they share (the refusals, the result, the row locks).
"""

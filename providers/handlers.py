"""Who ingests a stored rejected submission again, by its endpoint: the same service as the live
endpoint (`lead`: leads' ingest, `appointment`: appointments' intake). Those services live in the
apps above providers, which providers may not import, so each registers its own here at ready()
and `rejected_submission_reprocess` calls what is registered."""

REJECTED_SUBMISSION_HANDLERS: dict = {}


def rejected_submission_handler_register(*, endpoint: str, handler):
    """`handler(*, webhook, payload, provider, ip_address, user_agent)` answers an object with
    `object_id` (what was created) and raises refusals that carry `code`, `reason` and `errors`."""
    REJECTED_SUBMISSION_HANDLERS[endpoint] = handler

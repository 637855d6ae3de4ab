"""Who ingests a stored rejected submission again, by its endpoint: the same service as the live
endpoint (`lead`: leads' ingest, `appointment`: appointments' intake). Those services live in the
apps above providers, which providers may not import, so each registers its own here at ready()
and `rejected_submission_reprocess` calls what is registered."""
from leadhub.payload_aliases import payload_key

REJECTED_SUBMISSION_HANDLERS: dict = {}


def rejected_submission_handler_register(*, endpoint: str, handler):
    """`handler(*, webhook, payload, provider, ip_address, user_agent)` answers an object with
    `object_id` (what was created) and raises refusals that carry `code`, `reason` and `errors`."""
    REJECTED_SUBMISSION_HANDLERS[endpoint] = handler


# What a sample post to a webhook would become, nothing written (the webhook admin's "try a sample
# post"), by endpoint: the endpoint's own cleaning, registered by its app (leads: `lead_sample`).
SAMPLE_POST_HANDLERS: dict = {}


def sample_post_handler_register(*, endpoint: str, handler):
    """`handler(*, webhook, payload)` answers a dict: the cleaned record and what was ignored,
    unknown, cleaned or refused."""
    SAMPLE_POST_HANDLERS[endpoint] = handler


# The field names a mapping row may name as leadhub's, by endpoint (`lead`: every lead field and
# alias; `appointment`: the appointment's fields), each with its "did you mean" for a near miss.
MAPPING_TARGETS: dict = {}


def mapping_targets_register(*, endpoint: str, names, suggest=None):
    """`names`: the field names the endpoint reads (compared as payload keys); `suggest(name)`
    answers the one a misspelt name most likely meant, or None."""
    MAPPING_TARGETS[endpoint] = (frozenset(payload_key(name) for name in names), suggest)

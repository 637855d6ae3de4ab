"""The log of refused webhook posts: record (floods counted, not stored), re-process, purge."""
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import QueryDict
from django.utils import timezone

from leadhub.actors import is_staff_actor
from leadhub.api.parsers import unstorable_values
from leadhub.errors import ServiceRefusal, errors_message
from leadhub.middleware import ip_bucket
from leadhub.payload_aliases import PHONE_KEYS, is_evidence_key, payload_key
from leadhub.phones import normalize_phone
from providers import selectors
from providers.handlers import REJECTED_SUBMISSION_HANDLERS
from providers.models import RejectedSubmission, RejectedSubmissionTally
from providers.mapping import query_fields, query_fields_merge
from providers.payloads import BodyUnreadable, payload_read

FLOOD_STATUS = 429
FLOOD_BUCKET_SECONDS = 60


def _phone_from_body(body: bytes, content_type: str) -> str:
    try:
        payload = payload_read(body, content_type)
    except BodyUnreadable:
        return ""
    for key, value in payload.items():
        if payload_key(key) in PHONE_KEYS:
            try:
                return normalize_phone(value)
            except ValueError:
                continue
    return ""


def _storable(text: str) -> str:
    """Refused posts may carry NUL characters, which PostgreSQL text and jsonb cannot hold."""
    return (text or "").replace("\x00", "\ufffd")


def _storable_json(value):
    """`_storable` for every key and string of a JSON value (refusals name fields by what was sent)."""
    if isinstance(value, str):
        return _storable(value)
    if isinstance(value, dict):
        return {_storable(str(key)): _storable_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable_json(item) for item in value]
    return value


def storable_clip(value: str, length: int) -> str:
    return _storable(value)[:length]


def _flood_row_id(*, merge: dict, now):
    """(row id to count this refusal on, None) or (None, cache key to remember the new row under).
    `merge` names the columns whose equal values, within one minute, share a row.

    The cache decides cheaply (one `add` per request); when it is down, or the minute's first
    row is still being inserted, the database is asked instead.
    """
    bucket = int(now.timestamp()) // FLOOD_BUCKET_SECONDS
    key = "rejected-flood:" + ":".join(f"{name}={value}" for name, value in sorted(merge.items())) + f":{bucket}"
    if cache.add(key, 0, FLOOD_BUCKET_SECONDS * 2):
        return None, key
    row_id = cache.get(key)
    if not row_id:  # cache down, or the first request of the minute is still inserting
        row_id = (
            RejectedSubmission.objects.filter(
                **merge, created_at__gte=now - timedelta(seconds=now.timestamp() % FLOOD_BUCKET_SECONDS)
            )
            .values_list("pk", flat=True)
            .first()
        )
    return row_id, None


def rejected_submission_record(
    *,
    webhook_id: str,
    provider_id: str,
    reason_code: str,
    reason: str,
    http_status: int,
    errors: dict | None = None,
    body: bytes = b"",
    body_size: int | None = None,
    content_type: str = "",
    query_string: str = "",
    ip_address: str = "",
    user_agent: str = "",
    request_id: str = "",
    endpoint: str = "lead",
    authenticated: bool = True,
    before_limits: bool = False,
) -> RejectedSubmission | None:
    """Keep a refused post so nothing is lost. Returns the new row, or None when counted on an
    existing one: repeated 429s from one provider to one webhook make one row a minute, with a
    count and no body (the 429 tells the sender to send it again).

    A post refused before its provider proved who it is (`authenticated=False`: unknown webhook
    or provider, missing or wrong key) could come from anyone, so it must not cost storage in
    proportion to what is sent: a short prefix of the body is kept, and such refusals from one
    client (`ip_bucket`: an IPv6 /64 is one) make one row a minute per reason, with a count.

    A proven provider's post refused before the rate limits (`before_limits`: size, content
    type, signature) was counted against them as an accepted one is, and such refusals are
    merged per provider, webhook, endpoint and reason a minute: the minute's first keeps its body
    (a sample for ops to re-process), the rest are counted on it. Refusals after the limits
    (body, validation) are each kept whole: each may be a lead to re-process, and the limits
    bound how many there are.
    """
    now = timezone.now()
    body_size = len(body) if body_size is None else body_size
    if http_status == FLOOD_STATUS:
        kept = b""  # the sender was told the post was not stored and when to send it again
    else:
        kept = body[: RejectedSubmission.BODY_LIMIT if authenticated else RejectedSubmission.UNAUTHENTICATED_BODY_LIMIT]
    webhook_id, provider_id = storable_clip(webhook_id, 255), storable_clip(provider_id, 255)
    client, ip_address = storable_clip(ip_bucket(ip_address), 45), storable_clip(ip_address, 45)
    merge = None
    if not authenticated:
        merge = {"ip_bucket": client, "reason_code": reason_code}
    elif before_limits or http_status == FLOOD_STATUS:
        merge = {"provider_id": provider_id, "webhook_id": webhook_id, "endpoint": endpoint, "reason_code": reason_code}
    flood_key = None
    if merge:
        row_id, flood_key = _flood_row_id(merge=merge, now=now)
        # The cached id is only a hint: the row must still be this merge's (SQLite reuses the ids
        # of deleted rows, and a purge may have removed it).
        if row_id and RejectedSubmissionTally.objects.filter(
            submission_id=row_id, **{f"submission__{name}": value for name, value in merge.items()}
        ).update(occurrences=F("occurrences") + 1, last_seen_at=now):
            return None
    with transaction.atomic():
        submission = RejectedSubmission.objects.create(
            endpoint=endpoint,
            webhook_id=webhook_id,
            provider_id=provider_id,
            reason_code=reason_code,
            reason=_storable(reason),
            http_status=http_status,
            errors=_storable_json(errors or {}),
            raw_body=_storable(kept.decode("utf-8", errors="replace")),
            body_size=body_size,
            body_truncated=body_size > len(kept),
            content_type=storable_clip(content_type, 255),
            query_string=_storable(query_string)[: RejectedSubmission.BODY_LIMIT],
            ip_address=ip_address,
            ip_bucket=client,
            user_agent=storable_clip(user_agent, 512),
            request_id=storable_clip(request_id, 128),
            phone_normalized="" if body_size > len(kept) else _phone_from_body(body, content_type),
            sender_authenticated=authenticated,
        )
        RejectedSubmissionTally.objects.create(submission=submission, last_seen_at=now)
    if flood_key:
        cache.set(flood_key, submission.pk, FLOOD_BUCKET_SECONDS * 2)
    return submission


def _rejected_submissions_delete(queryset) -> int:
    """Delete the refused posts (their tallies go with them); returns how many posts."""
    _, deleted = queryset.delete()
    return deleted.get(RejectedSubmission._meta.label, 0)


def rejected_submissions_purge(*, now=None) -> int:
    """Forget refused posts last seen more than REJECTED_RETENTION_DAYS ago; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.REJECTED_RETENTION_DAYS)
    return _rejected_submissions_delete(RejectedSubmission.objects.filter(tally__last_seen_at__lt=cutoff))


class ReprocessRefused(ServiceRefusal):
    """Ops' re-processing of a stored post refused before anything runs, named per field: an
    edited payload the post could not have carried, a sender nobody took as proven."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


class SenderNotProven(ReprocessRefused):
    code = "sender_not_proven"


class BodyNotKept(ServiceRefusal):
    """A stored post cut short when it was refused: its payload cannot be read back."""

    code = "body_truncated"

    def __init__(self, submission):
        super().__init__(f"The body was {submission.body_size} bytes; only the first 64 KB was kept.")


def _reprocess_refusal(exc: ServiceRefusal) -> str:
    detail = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.errors.items())
    return f"{exc.code}: {exc.reason}" + (f" ({detail})" if detail else "")


def rejected_submission_payload(submission: RejectedSubmission) -> dict:
    """The stored body parsed as the webhook would, with the post's query-string fields it does not
    name itself (ops re-processing a post take all it carried); BodyUnreadable if it cannot be,
    BodyNotKept if it was cut short."""
    if submission.body_truncated:
        raise BodyNotKept(submission)
    payload = payload_read(submission.raw_body.encode("utf-8"), submission.content_type)
    return query_fields_merge(payload, query_fields(QueryDict(submission.query_string)))


def _edited_storable(edited: dict):
    """Ops type values as JSON too (`["a"]`): the same values a post may not carry are refused here."""
    if refused := unstorable_values(edited):
        _code, _message, errors = refused
        raise ReprocessRefused({"payload": [f"{path}: {' '.join(messages)}" for path, messages in errors.items()]})


def _evidence_unchanged(original: dict, edited: dict):
    changed = sorted(key for key in {*original, *edited} if is_evidence_key(key) and original.get(key) != edited.get(key))
    if changed:
        raise ReprocessRefused(
            {"payload": [f"'{key}' is consent or evidence as the provider sent it and cannot be edited." for key in changed]}
        )


def _sender_taken_as_proven(submission: RejectedSubmission, confirmed_by: str):
    """A post whose sender never proved who it is is ingested as the provider it named (its
    payout booked, the lead sold) only when a person of ours (`staff:<username>`) takes that
    sender as proven."""
    if submission.sender_authenticated or is_staff_actor(confirmed_by):
        return
    raise SenderNotProven({"sender_confirmed_by": [
        f"The sender of #{submission.pk} was not authenticated ({submission.reason}): re-processing ingests it as "
        f"provider '{submission.provider_id}', so it needs the ops member who takes the sender as proven."
    ]})


def rejected_submission_reprocess(
    *, submission: RejectedSubmission, payload: dict | None = None, sender_confirmed_by: str = ""
) -> RejectedSubmission:
    """Run a stored post through the live parse + ingest path, once its cause has been fixed.

    `payload` is ops' corrected copy of the parsed body: it is what is ingested and it is kept on
    the row (`reprocessed_payload`) next to the original body, which stays as received. Consent
    and evidence keys must be exactly as sent (ReprocessRefused names the one that is not).

    Auth, signature and rate limits are skipped on purpose: ops decided to accept it. A post
    whose sender was never authenticated (`sender_authenticated` false: a wrong key naming a
    real provider, say) is refused (SenderNotProven, on `sender_confirmed_by`) unless
    `sender_confirmed_by` names who takes the sender as proven; that actor and the time are
    written on the row. The outcome (the created row's id, or why it failed again) is written on
    the row. The ingest service is the one registered for the endpoint (providers.handlers); its
    refusals are the service family's (leadhub.errors.ServiceRefusal), kept as `code: reason (errors)`.
    """
    handler = REJECTED_SUBMISSION_HANDLERS[submission.endpoint]
    if payload is not None:
        _edited_storable(payload)
        _evidence_unchanged(rejected_submission_payload(submission), payload)
    with transaction.atomic():
        submission = RejectedSubmission.objects.select_for_update().get(pk=submission.pk)
        if submission.reprocessed_object_id is not None:
            return submission  # already in: re-processing twice must not create twice
        _sender_taken_as_proven(submission, sender_confirmed_by)
        submission.reprocessed_at = timezone.now()
        submission.reprocess_error = ""
        if not submission.sender_authenticated:
            submission.sender_confirmed_by = sender_confirmed_by
            submission.sender_confirmed_at = submission.reprocessed_at
        webhook = selectors.webhook_get(webhook_id=submission.webhook_id)
        if submission.body_truncated:
            submission.reprocess_error = f"The body was {submission.body_size} bytes; only the first 64 KB was kept."
        elif not selectors.webhook_is_open(webhook):
            submission.reprocess_error = f"No active webhook '{submission.webhook_id}'."
        else:
            try:
                if payload is not None:
                    submission.reprocessed_payload = payload
                result = handler(
                    webhook=webhook,
                    payload=payload if payload is not None else rejected_submission_payload(submission),
                    provider=selectors.provider_get(provider_id=submission.provider_id),
                    ip_address=submission.ip_address,
                    user_agent=submission.user_agent,
                )
            except ServiceRefusal as exc:  # anything else is a bug, not a refusal: let it surface
                submission.reprocess_error = _reprocess_refusal(exc)
            else:
                submission.reprocessed_object_id = result.object_id
        submission.save(update_fields=["reprocessed_at", "reprocessed_object_id", "reprocess_error", "reprocessed_payload",
                                       "sender_confirmed_by", "sender_confirmed_at"])
    return submission


def rejected_submissions_purge_for_phone(*, phone: str) -> int:
    """Delete every stored rejected post of this person (called by the contact purge)."""
    if not phone:
        return 0
    return _rejected_submissions_delete(selectors.rejected_submissions_for_phone(phone=phone))

"""Outbound delivery: the one module every outbound HTTP call goes through (the outbox).

A service that causes an event calls `outbox_emit` (or `outbox_emit_to_rule`) inside its own
transaction, so the outbox row commits or rolls back with the change it reports. After commit a
Celery task is enqueued; if the broker is down that is logged and the beat sweeper, which
re-enqueues due rows every minute, picks the row up later. Retries are rows with a future
`next_attempt_at` (exponential backoff with jitter, about 24 h in all), never long Celery
countdowns, which a Redis broker's visibility timeout would turn into duplicates.

A row whose task went missing while it says it is queued (`enqueued_at`) is queued again by the
next sweep when the loss is known: the broker's Redis restarted (its queue is empty without
persistence) or a worker took the task while the database was down (the task failed and was
acknowledged). The sweeper leaves a mark in the broker's Redis, the run_id it last saw there; a
restart changes the run_id, an emptied Redis loses the mark, and such a worker erases it
(`outbox_tasks_lost`). Any other loss waits OUTBOX_REENQUEUE_SECONDS.

An attempt first *claims* the row (row lock with SKIP LOCKED on PostgreSQL, then
`next_attempt_at` pushed out by OUTBOUND_WEBHOOK_CLAIM_SECONDS), sends without holding a
transaction open, then records the outcome. Two workers therefore never send one event at once,
and an event whose worker died mid-send becomes due again when the claim expires: delivery is
at-least-once, and receivers dedupe on `X-Leadhub-Event-Id`.
"""
import http.client
import json
import logging
import random
import socket
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from leadhub.errors import ServiceRefusal, errors_message
from leadhub.keys import previous_valid
from leadhub.netguard import BlockedTarget, GuardedHTTPHandler, GuardedHTTPSHandler, is_own_ingest_url
from leadhub.signing import sign
from workspaces.models import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryStatus,
    EventType,
    LeadCopy,
    LeadForwardingRule,
    OutboundEvent,
    Workspace,
)
from workspaces.signals import delivery_recorded

logger = logging.getLogger(__name__)

EVENT_ID_HEADER = "X-Leadhub-Event-Id"
EVENT_TYPE_HEADER = "X-Leadhub-Event-Type"
SIGNATURE_HEADER = "X-Leadhub-Signature"
RETRYABLE_STATUS_CODES = {408, 429}
REDELIVERABLE = (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED, DeliveryStatus.DELIVERED, DeliveryStatus.REFUSED)


# --- emitting ------------------------------------------------------------------------------------


def subscribes_to(workspace: Workspace, event_type: str) -> bool:
    """An empty `webhook_events` list means every event type."""
    return not workspace.webhook_events or event_type in workspace.webhook_events


def outbox_emit(
    *, workspace: Workspace, event_type: str, data: dict, contact_id=None, subject_type="", subject_id="",
    held: bool = False, calling_window: bool = False, not_before=None, wait_reason: str = "",
) -> OutboundEvent | None:
    """Store `event_type` for `workspace` in the caller's transaction; deliver after commit.

    Returns None (nothing stored) when the workspace has no outbound URL or does not subscribe
    to the type. An inactive workspace or switched-off webhook stores the event as `skipped`, so
    it can be sent again later. `held`: its subject is held (leads.gate decides), so the event
    waits, unlisted and unsent, until `outbox_release`. `data` must be JSON-serialisable (dates
    and Decimals are fine). `calling_window`: a delivery that leaves only inside the consumer's
    calling window, which opens at `not_before` (the caller asked compliance; `wait_reason` says
    why it waits); an event about a subject whose earlier event to the same workspace waits,
    waits behind it.
    """
    if event_type not in EventType.values:
        raise ValueError(f"Unknown event type {event_type!r}")
    # Re-read the switch: the delivery side may have turned the webhook off since `workspace` loaded.
    current = Workspace.objects.only(
        "outbound_webhook_url", "webhook_active", "webhook_events", "is_active", "calls_consumers"
    ).get(pk=workspace.pk)
    if not current.outbound_webhook_url or not subscribes_to(current, event_type):
        return None
    live = current.is_active and current.webhook_active
    if current.calls_consumers and subject_id != "":
        not_before, wait_reason = _behind_waiting(current, subject_type, subject_id, not_before, wait_reason)
    return _event_create(
        workspace=current,
        event_type=event_type,
        data=data,
        target_url=current.outbound_webhook_url,
        status=DeliveryStatus.HELD if held else DeliveryStatus.PENDING if live else DeliveryStatus.SKIPPED,
        contact_id=contact_id,
        subject_type=subject_type,
        subject_id=subject_id,
        calling_window=calling_window or not_before is not None,
        not_before=not_before,
        wait_reason=wait_reason,
    )


def _behind_waiting(workspace, subject_type, subject_id, not_before, wait_reason):
    """(not before, why) of a new event to `workspace` about a subject whose earlier event waits
    for its calling window: not before that one (one lookup on the subject index)."""
    ahead = (OutboundEvent.objects.filter(workspace=workspace, subject_type=subject_type, subject_id=str(subject_id),
                                          status=DeliveryStatus.WAITING)
             .order_by("-next_attempt_at").values_list("pk", "next_attempt_at").first())
    if ahead is None or (not_before is not None and not_before >= ahead[1]):
        return not_before, wait_reason
    return ahead[1], (f"waits behind event {ahead[0]} about the same {subject_type or 'subject'}, which waits until "
                      f"{ahead[1]:%Y-%m-%d %H:%M} UTC")


def outbox_emit_to_rule(
    *, rule: LeadForwardingRule, data: dict, contact_id=None, subject_type="", subject_id="", fallback_rule_ids=(),
    calling_wait=None,
) -> OutboundEvent | None:
    """A `lead.forwarded` event for one forwarding rule: to its workspace's webhook (which must
    be set up and subscribed) or to its external URL, signed with the rule's own secret. None
    when the rule already had its copy of this lead (`lead_copy_claim`): once per (rule, lead).
    `calling_wait(workspace)`: (not before, why) of a copy to a workspace that calls consumers,
    asked of the caller (which knows the consumer)."""
    if not lead_copy_claim(rule=rule, lead_id=subject_id):
        return None
    common = dict(
        event_type=EventType.LEAD_FORWARDED,
        data=data,
        contact_id=contact_id,
        subject_type=subject_type,
        subject_id=subject_id,
        forwarding_rule=rule,
        fallback_rule_ids=list(fallback_rule_ids),
    )
    if rule.target_workspace_id is None:
        return _event_create(workspace=None, target_url=rule.target_url, status=DeliveryStatus.PENDING, **common)
    current = Workspace.objects.get(pk=rule.target_workspace_id)
    if not current.outbound_webhook_url or not subscribes_to(current, EventType.LEAD_FORWARDED):
        return None
    live = current.is_active and current.webhook_active
    if current.calls_consumers and calling_wait is not None:
        not_before, wait_reason = calling_wait(current)
        not_before, wait_reason = _behind_waiting(current, subject_type, subject_id, not_before, wait_reason)
        common.update(calling_window=True, not_before=not_before, wait_reason=wait_reason)
    return _event_create(
        workspace=current,
        target_url=current.outbound_webhook_url,
        status=DeliveryStatus.PENDING if live else DeliveryStatus.SKIPPED,
        **common,
    )


# Targets that are neither a workspace nor a forwarding rule, by kind (a lead source's postback URL,
# registered by sources at ready()): kind → resolve(id) answering (url, signing secret), or None
# when the target takes no events any more. An app above owns the target; the outbox never reads it.
OUTBOUND_TARGETS: dict = {}


def outbound_target_register(*, kind: str, resolve):
    OUTBOUND_TARGETS[kind] = resolve


def _target_resolve(target_ref: str):
    kind, _, target_id = target_ref.partition(":")
    resolve = OUTBOUND_TARGETS.get(kind)
    return resolve(target_id) if resolve is not None else None


def outbox_emit_to_target(*, kind: str, target_id: str, event_type: str, data: dict, contact_id=None,
                          subject_type="", subject_id="") -> OutboundEvent | None:
    """Store `event_type` for a registered target (OUTBOUND_TARGETS) in the caller's transaction;
    delivered, signed, retried and swept like every row. None when the target takes no events."""
    target_ref = f"{kind}:{target_id}"
    target = _target_resolve(target_ref)
    if target is None:
        return None
    url, _secret = target
    return _event_create(workspace=None, event_type=event_type, data=data, target_url=url, target_ref=target_ref,
                         status=DeliveryStatus.PENDING, contact_id=contact_id, subject_type=subject_type,
                         subject_id=subject_id)


def lead_copy_claim(*, rule: LeadForwardingRule, lead_id) -> bool:
    """Claim the one copy of lead `lead_id` that `rule` ever gets, in the caller's transaction:
    True when this caller claimed it. One INSERT on the unique (rule, lead) index that does
    nothing on a conflict; a concurrent claimer waits for the first to commit, then finds it."""
    table = LeadCopy._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (forwarding_rule_id, lead_id, created_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (forwarding_rule_id, lead_id) DO NOTHING RETURNING lead_id",
            [rule.pk, int(lead_id), connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        return cursor.fetchone() is not None


def _event_create(*, workspace, event_type, data, target_url, status, **fields) -> OutboundEvent:
    now = timezone.now()
    if status == DeliveryStatus.PENDING and fields.get("not_before") is not None and fields["not_before"] > now:
        status = DeliveryStatus.WAITING
    elif status == DeliveryStatus.PENDING:
        fields["wait_reason"] = ""
    event = OutboundEvent.objects.create(
        workspace=workspace,
        event_type=event_type,
        data=json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        target_url=target_url,
        status=status,
        created_at=now,
        next_attempt_at=(now if status == DeliveryStatus.PENDING
                         else fields["not_before"] if status == DeliveryStatus.WAITING else None),
        enqueued_at=now if status == DeliveryStatus.PENDING else None,
        **fields,
    )
    if status == DeliveryStatus.PENDING:
        transaction.on_commit(partial(_enqueue, event.pk))
    else:
        delivery_recorded.send(sender=OutboundEvent, event=event, attempt=None)
    return event


def _enqueue(event_id):
    """Hand one event to Celery. Never raises: a broker outage must not fail the request that
    caused the event; the row stays due and the sweeper enqueues it again."""
    from workspaces.tasks import deliver_event

    try:
        deliver_event.delay(str(event_id))
    except Exception:
        logger.exception("outbox: could not enqueue event %s; the sweeper will retry it", event_id)
        OutboundEvent.objects.filter(pk=event_id, status=DeliveryStatus.PENDING).update(enqueued_at=None)


# --- delivering ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    body: str
    error: str
    latency_ms: int

    @property
    def ok(self):
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self):
        if self.status_code is None:
            return not self.error.startswith("refused:")  # timeouts and connection errors
        return self.status_code >= 500 or self.status_code in RETRYABLE_STATUS_CODES


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is answered, not followed: re-POSTing a signed body elsewhere is not ours to do."""

    def redirect_request(self, *args, **kwargs):
        return None


# The guarded handlers refuse non-public addresses at connect time (leadhub.netguard).
_opener = urllib.request.build_opener(_NoRedirects, GuardedHTTPHandler, GuardedHTTPSHandler)


def envelope_body(event: OutboundEvent) -> bytes:
    return json.dumps(event.envelope(), cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def http_post(*, url: str, body: bytes | None, headers: dict, method: str = "POST",
              limit: int = DeliveryAttempt.RESPONSE_LIMIT) -> HttpResult:
    """Send once (POST, or `method`) through the outbound guard with the configured timeout,
    reading at most `limit` bytes of the answer; any failure comes back as data, never raised.
    Every outbound call of leadhub goes through here (webhooks, consent-evidence verifiers)."""
    if is_own_ingest_url(url):
        return HttpResult(None, "", "refused: this is leadhub's own ingest URL (it would loop)", 0)
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    started = time.monotonic()
    status, text, error = None, b"", ""
    try:
        with _opener.open(request, timeout=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS) as response:
            status, text = response.status, response.read(limit)
    except urllib.error.HTTPError as exc:
        status, text = exc.code, (exc.read(limit) if exc.fp else b"")
    except urllib.error.URLError as exc:
        timed_out = isinstance(exc.reason, (TimeoutError, socket.timeout))
        error = f"timeout after {settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS} s" if timed_out else f"connection error: {exc.reason}"
        if isinstance(exc.reason, BlockedTarget):
            error = f"refused: {exc.reason}"  # not retried: the address will not become public
    except TimeoutError:
        error = f"timeout after {settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS} s"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = f"connection error: {exc.__class__.__name__}: {exc}"
    latency_ms = int((time.monotonic() - started) * 1000)
    return HttpResult(status, text.decode("utf-8", "replace"), error, latency_ms)


def outbox_deliver(*, event_id) -> OutboundEvent | None:
    """Make one attempt at a due event. Returns the event as recorded, or None when there was
    nothing to do (not due, already delivered, or another worker holds it)."""
    claim = _claim(event_id)
    if claim is None:
        return None
    event, url, secret, previous_secret = claim
    body = envelope_body(event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "leadhub-webhooks/1",
        EVENT_ID_HEADER: str(event.pk),
        EVENT_TYPE_HEADER: event.event_type,
        SIGNATURE_HEADER: sign(secret, body, previous=previous_secret),
    }
    result = http_post(url=url, body=body, headers=headers)
    return _record(event.pk, url=url, result=result)


def _claim(event_id):
    """Lock a due pending row (skipping rows another worker holds) and push its `next_attempt_at`
    out by the claim time. Returns (event, url, secret, previous secret during a rotation's grace)
    or None."""
    now = timezone.now()
    with transaction.atomic():
        event = (
            OutboundEvent.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("workspace", "forwarding_rule")
            .filter(pk=event_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now, withdrawn_at__isnull=True)
            .first()
        )
        if event is None:
            return None
        workspace, rule = event.workspace, event.forwarding_rule
        if workspace is not None:
            if not (workspace.is_active and workspace.webhook_active and workspace.outbound_webhook_url):
                _mark_skipped(event)
                return None
            url, secret = workspace.outbound_webhook_url, workspace.webhook_secret
            previous_secret = previous_valid(workspace, "webhook_secret", now)
        elif rule is not None:
            url, secret, previous_secret = event.target_url, rule.signing_secret, None
        elif event.target_ref:
            target = _target_resolve(event.target_ref)
            if target is None:
                _mark_failed_unsendable(event, "its target takes no events any more")
                return None
            (url, secret), previous_secret = target, None
        else:
            _mark_failed_unsendable(event, "the forwarding rule of this event was deleted")
            return None
        event.attempts = F("attempts") + 1
        event.next_attempt_at = now + timedelta(seconds=settings.OUTBOUND_WEBHOOK_CLAIM_SECONDS)
        event.enqueued_at = None
        event.last_attempt_at = now
        event.save(update_fields=["attempts", "next_attempt_at", "enqueued_at", "last_attempt_at", "updated_at"])
        event.refresh_from_db(fields=["attempts"])
        return event, url, secret, previous_secret


def _mark_skipped(event):
    event.status = DeliveryStatus.SKIPPED
    event.next_attempt_at = None
    event.last_response = "webhook is switched off"
    event.save(update_fields=["status", "next_attempt_at", "last_response", "updated_at"])
    delivery_recorded.send(sender=OutboundEvent, event=event, attempt=None)


def _mark_failed_unsendable(event, reason):
    event.status = DeliveryStatus.FAILED
    event.next_attempt_at = None
    event.last_response = reason
    event.save(update_fields=["status", "next_attempt_at", "last_response", "updated_at"])
    delivery_recorded.send(sender=OutboundEvent, event=event, attempt=None)


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the `attempts`-th failure: base × 2^(n-1), capped, ±20 % jitter so a
    recovering partner is not hit by every queued event in the same second."""
    seconds = min(
        settings.OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0),
        settings.OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS,
    )
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def _record(event_id, *, url, result: HttpResult) -> OutboundEvent:
    now = timezone.now()
    with transaction.atomic():
        event = (
            OutboundEvent.objects.select_for_update(of=("self",))
            .select_related("workspace", "forwarding_rule")
            .get(pk=event_id)
        )
        if result.ok:
            outcome = AttemptOutcome.DELIVERED
            event.status, event.delivered_at, event.next_attempt_at = DeliveryStatus.DELIVERED, now, None
        elif result.retryable and event.attempts < settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS:
            outcome = AttemptOutcome.RETRY
            event.next_attempt_at = now + retry_delay(event.attempts)
            if event.calling_window:  # the retry too leaves only inside the window: asked when due
                event.status, event.not_before = DeliveryStatus.WAITING, event.next_attempt_at
                event.wait_reason = "a retry: sent when due, inside the consumer's calling window"
        else:
            outcome = AttemptOutcome.FAILED
            event.status, event.next_attempt_at = DeliveryStatus.FAILED, None
        event.last_status_code = result.status_code
        event.last_response = (result.body if result.status_code is not None else result.error)[
            : DeliveryAttempt.RESPONSE_LIMIT
        ]
        event.save(
            update_fields=["status", "delivered_at", "next_attempt_at", "last_status_code", "last_response", "updated_at",
                           "not_before", "wait_reason"]
        )
        attempt = DeliveryAttempt.objects.create(
            event=event,
            created_at=now,
            target_url=url,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            response_body=result.body[: DeliveryAttempt.RESPONSE_LIMIT],
            error=result.error,
            outcome=outcome,
        )
        if outcome != AttemptOutcome.RETRY:
            _settle(event, delivered=outcome == AttemptOutcome.DELIVERED, now=now)
        delivery_recorded.send(sender=OutboundEvent, event=event, attempt=attempt)
    return event


def _settle(event, *, delivered, now):
    """Bookkeeping once an event is finally delivered or failed: the workspace's failure streak
    (switching the webhook off at the limit), the forwarding rule's counters, and first-match
    fallback to the next matching rule."""
    if event.workspace_id is not None:
        workspaces = Workspace.objects.filter(pk=event.workspace_id)
        if delivered:
            workspaces.filter(webhook_failure_streak__gt=0).update(webhook_failure_streak=0)
        else:
            workspaces.update(webhook_failure_streak=F("webhook_failure_streak") + 1)
            limit = settings.OUTBOUND_WEBHOOK_FAILURE_LIMIT
            switched_off = workspaces.filter(webhook_active=True, webhook_failure_streak__gte=limit).update(
                webhook_active=False,
                webhook_disabled_at=now,
                webhook_disabled_reason=(
                    f"Switched off automatically at {now:%Y-%m-%d %H:%M} UTC after {limit} consecutive failed "
                    f"events; last: {event.last_status_code or event.last_response[:200]}"
                ),
            )
            if switched_off:
                logger.warning("outbox: webhook of workspace %s switched off after %s failures", event.workspace_id, limit)
    if event.forwarding_rule_id is not None:
        rules = LeadForwardingRule.objects.filter(pk=event.forwarding_rule_id)
        if delivered:
            rules.update(forwarded_count=F("forwarded_count") + 1, last_delivered_at=now)
        else:
            rules.update(failed_count=F("failed_count") + 1, last_failed_at=now)
            _forward_to_next_rule(event)


def _forward_to_next_rule(event):
    """first-match: the delivery to this rule finally failed, so try the next matching rule."""
    remaining = list(event.fallback_rule_ids)
    active = LeadForwardingRule.objects.filter(pk__in=remaining, is_active=True).in_bulk()
    while remaining:
        rule = active.get(remaining.pop(0))
        if rule is None:
            continue
        created = outbox_emit_to_rule(
            rule=rule,
            data=event.data,
            contact_id=event.contact_id,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            fallback_rule_ids=remaining,
        )
        if created is not None:
            return created
    return None


# --- sweeping and sending again ------------------------------------------------------------------


# The sweeper's mark in the broker's Redis: that Redis's run_id as the last sweep saw it.
BROKER_MARK_KEY = "leadhub:outbox:broker-seen"
# What the database answers when it is not there (refused, cut, gone mid-statement).
DATABASE_DOWN = (OperationalError, InterfaceError)


@contextmanager
def _broker_redis():
    """A client of the broker's Redis (by the Celery app's own connection settings), or None when
    the broker is no Redis (embedded mode runs tasks eagerly: nothing is queued to lose)."""
    from workspaces.tasks import deliver_event

    app = deliver_event.app
    if app.conf.task_always_eager:
        yield None
        return
    with app.connection_for_write() as broker:
        if broker.transport.driver_type != "redis":
            yield None
            return
        broker.ensure_connection(max_retries=1)
        yield broker.default_channel.client


def outbox_tasks_lost():
    """A worker took a delivery task and failed on the database: the task is acknowledged, gone,
    while its row still says it is queued. Erase the sweeper's mark so the next sweep queues every
    such row again. Never raises (the worker is already failing)."""
    try:
        with _broker_redis() as client:
            if client is not None:
                client.delete(BROKER_MARK_KEY)
    except Exception:
        logger.exception("outbox: could not mark the queue as having lost a task; it is sent after "
                         "OUTBOX_REENQUEUE_SECONDS")


def _broker_lost_tasks() -> bool:
    """Whether queued tasks may be gone since the last sweep looked (the broker's Redis restarted,
    was emptied, or a worker erased the mark), renewing the mark. False when the broker cannot
    answer: then nothing can be queued now anyway, and its return is a restart the mark shows."""
    try:
        with _broker_redis() as client:
            if client is None:
                return False
            run_id = client.info("server")["run_id"]
            return client.getset(BROKER_MARK_KEY, run_id) != run_id.encode()
    except Exception:
        logger.exception("outbox sweep: could not read the broker's mark")
        return False


def _tasks_lost_queue_again():
    """Every pending row that says its task is queued has none now: clear `enqueued_at` so this
    and the next sweeps queue them (in order, `limit` at a time). A task that did survive makes a
    second one, which finds its row claimed or delivered and does nothing."""
    try:
        count = OutboundEvent.objects.filter(status=DeliveryStatus.PENDING, enqueued_at__isnull=False).update(
            enqueued_at=None
        )
    except DATABASE_DOWN:
        outbox_tasks_lost()  # the mark is renewed already: erase it again, the next sweep retries
        raise
    logger.warning("outbox sweep: the broker lost queued tasks (restarted, emptied, or a worker failed on the "
                   "database); %s event(s) queued again", count)


def outbox_sweep(*, limit: int = 1000) -> int:
    """Enqueue due pending events whose task is missing (never enqueued, enqueue failed, claimed
    and then lost, lost by the broker or a worker without its database) or stale. Run by Celery
    beat every OUTBOX_SWEEP_SECONDS; returns how many."""
    from workspaces.tasks import deliver_event

    outbox_waiting_release()
    if _broker_lost_tasks():
        _tasks_lost_queue_again()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.OUTBOX_REENQUEUE_SECONDS)
    due = list(
        OutboundEvent.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    OutboundEvent.objects.filter(pk__in=due).update(enqueued_at=now)
    for sent, event_id in enumerate(due):
        try:
            deliver_event.delay(str(event_id))
        except Exception:
            logger.exception("outbox sweep: broker unavailable; %s event(s) left for the next sweep", len(due) - sent)
            OutboundEvent.objects.filter(pk__in=due[sent:]).update(enqueued_at=None)
            return sent
    return len(due)


def _requeue(events) -> int:
    """Reset events to pending with a fresh retry budget, then tell the mirror (appointments)."""
    now = timezone.now()
    events = list(events.select_for_update(of=("self",)))
    ids = [event.pk for event in events]
    OutboundEvent.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, enqueued_at=None, delivered_at=None, updated_at=now
    )
    # Sent again, a delivery bound to the consumer's calling window keeps waiting for it.
    if windowed := [event.pk for event in events if event.calling_window]:
        OutboundEvent.objects.filter(pk__in=windowed).update(status=DeliveryStatus.WAITING)
        OutboundEvent.objects.filter(pk__in=windowed, not_before__gt=now).update(next_attempt_at=F("not_before"))
    for event in OutboundEvent.objects.filter(pk__in=ids):
        delivery_recorded.send(sender=OutboundEvent, event=event, attempt=None)
    if ids:
        transaction.on_commit(_sweep_soon)
    return len(ids)


def _sweep_soon():
    from workspaces.tasks import sweep_outbox

    try:
        sweep_outbox.delay()
    except Exception:
        logger.exception("outbox: could not enqueue a sweep; beat will run one within a minute")


class RedeliveryRefused(ServiceRefusal):
    """An event that cannot be sent again now (its subject held, already queued, withdrawn) or a
    workspace whose webhook cannot take it, named per field (the API's 422 `validation`)."""

    code = "validation"

    def __init__(self, errors: dict):
        super().__init__(errors_message(errors), errors=errors)


def _require_live_webhook(workspace):
    workspace.refresh_from_db(fields=["outbound_webhook_url", "webhook_active", "is_active"])
    if not workspace.outbound_webhook_url:
        raise RedeliveryRefused({"outbound_webhook_url": ["Set an outbound webhook URL before sending events again."]})
    if not workspace.webhook_active:
        raise RedeliveryRefused({"webhook_active": ["The webhook is switched off: turn it on before sending events again."]})


# What an app above this one says about sending an event of its subject type again: a callable
# taking subject ids and answering those that may not leave now (leads: the gate's held leads).
SUBJECT_HOLDS: dict = {}


def subject_holds_register(*, subject_type: str, held_ids):
    SUBJECT_HOLDS[subject_type] = held_ids


def _held_subject_ids(subject_type, subject_ids) -> set:
    check = SUBJECT_HOLDS.get(subject_type)
    return {str(pk) for pk in check(subject_ids)} if check and subject_ids else set()


@transaction.atomic
def outbound_event_redeliver(*, event: OutboundEvent) -> int:
    """Send one event again (failed, skipped, or delivered and wanted once more); an event about a
    subject that is held now is refused (it goes out with the rest at the release)."""
    if _held_subject_ids(event.subject_type, [event.subject_id]):
        raise RedeliveryRefused({"event_id": [f"Event {event.pk} is about {event.subject_type} {event.subject_id}, which "
                                            "is held: release it first."]})
    if event.status not in REDELIVERABLE:
        raise RedeliveryRefused({"event_id": [f"Event {event.pk} is already queued for delivery."]})
    if event.withdrawn_at is not None:
        raise RedeliveryRefused({"event_id": [f"Event {event.pk} was withdrawn: the workspace no longer holds its subject."]})
    if event.workspace_id is not None:
        _require_live_webhook(event.workspace)
    return _requeue(OutboundEvent.objects.filter(pk=event.pk))


@transaction.atomic
def workspace_events_redeliver(*, workspace: Workspace) -> int:
    """Send again every failed or skipped event of a workspace, less those about a held subject;
    returns how many were queued."""
    _require_live_webhook(workspace)
    events = OutboundEvent.objects.filter(workspace=workspace, status__in=[DeliveryStatus.FAILED, DeliveryStatus.SKIPPED],
                                          withdrawn_at__isnull=True)
    for subject_type in SUBJECT_HOLDS:
        ids = set(events.filter(subject_type=subject_type).values_list("subject_id", flat=True))
        events = events.exclude(subject_type=subject_type, subject_id__in=_held_subject_ids(subject_type, ids))
    return _requeue(events)


def outbox_withdraw(*, workspace_id: str, subject_type: str, subject_id) -> int:
    """Withdraw a workspace's events about a subject it no longer holds (a revoked lead access):
    the partner API stops listing them and an undelivered one is never sent; returns how many."""
    now = timezone.now()
    events = OutboundEvent.objects.filter(workspace_id=workspace_id, subject_type=subject_type,
                                          subject_id=str(subject_id), withdrawn_at__isnull=True)
    events.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.WAITING]).update(
        status=DeliveryStatus.SKIPPED, next_attempt_at=None, last_response="withdrawn: the workspace no longer holds it",
        updated_at=now,
    )
    return events.update(withdrawn_at=now, updated_at=now)


def outbox_hold(*, subject_type: str, subject_id) -> int:
    """A subject was just held: its events not yet sent wait for its release (`outbox_release`)."""
    return OutboundEvent.objects.filter(
        subject_type=subject_type, subject_id=str(subject_id), status__in=[DeliveryStatus.PENDING, DeliveryStatus.WAITING]
    ).update(status=DeliveryStatus.HELD, next_attempt_at=None, updated_at=timezone.now())


def outbox_release(*, subject_type: str, subject_id) -> int:
    """Send, in the order they were made, the events that waited while their subject was held
    (the caller's transaction: they are queued after its commit); returns how many. One bound to
    the consumer's calling window waits for the sweeper, which asks when it may leave."""
    now = timezone.now()
    waiting = list(OutboundEvent.objects.select_related("workspace").filter(
        subject_type=subject_type, subject_id=str(subject_id), status=DeliveryStatus.HELD
    ).order_by("created_at", "id"))
    for event in waiting:
        live = event.workspace is None or (event.workspace.is_active and event.workspace.webhook_active)
        event.status = DeliveryStatus.PENDING if live else DeliveryStatus.SKIPPED
        event.next_attempt_at = event.enqueued_at = now if live else None
        if live and event.calling_window:
            event.status, event.enqueued_at = DeliveryStatus.WAITING, None
            event.next_attempt_at = max(event.not_before or now, now)
        event.save(update_fields=["status", "next_attempt_at", "enqueued_at", "updated_at"])
        if event.status == DeliveryStatus.PENDING:
            transaction.on_commit(partial(_enqueue, event.pk))
    return len(waiting)


def outbox_purge_for_contacts(*, contact_ids) -> dict:
    """Delete outbox payloads and attempt logs about these people (contact purge); returns the
    counts keyed by table."""
    event_ids = list(OutboundEvent.objects.filter(contact_id__in=contact_ids).values_list("pk", flat=True))
    attempts = events = 0
    if event_ids:
        attempts, _ = DeliveryAttempt.objects.filter(event_id__in=event_ids).delete()
        events, _ = OutboundEvent.objects.filter(pk__in=event_ids).delete()
    return {DeliveryAttempt._meta.db_table: attempts, OutboundEvent._meta.db_table: events}


# --- waiting for the consumer's calling window ---------------------------------------------------


@dataclass(frozen=True)
class Release:
    """What an app above says of a waiting delivery that is due: `send` it, let it `wait` until
    `until` (its calling window is closed), `hold` it (its subject is held: it goes out at the
    release), or `refuse` it (it may no longer reach the workspace), each with the words why."""

    action: str
    until: object = None
    reason: str = ""


SEND = Release("send")

# subject type → callable(due waiting events) → {event id: Release}; filled by the apps above
# (leads: the gate again, and the consumer's calling window). A subject type nobody checks is sent.
RELEASE_CHECKS: dict = {}


def release_check_register(*, subject_type: str, check):
    RELEASE_CHECKS[subject_type] = check


def outbox_waiting_release(*, batch: int = 500) -> int:
    """Release the waiting deliveries that are due, `batch` rows per transaction (rows another
    sweeper holds are skipped): each is asked of its subject's app again and sent, left waiting
    until its window opens, held, or refused (not delivered, saying why). An event waits behind
    an earlier one of the same workspace and subject that still waits. Returns how many were
    released to be sent (the sweep queues them)."""
    released = 0
    while True:
        with transaction.atomic():
            now = timezone.now()
            rows = list(
                OutboundEvent.objects.select_for_update(skip_locked=True, of=("self",)).select_related("workspace")
                .filter(status=DeliveryStatus.WAITING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "created_at")[:batch]
            )
            verdicts = {}
            for subject_type in {row.subject_type for row in rows}:
                if check := RELEASE_CHECKS.get(subject_type):
                    verdicts.update(check([row for row in rows if row.subject_type == subject_type]))
            released += _releases_apply(sorted(rows, key=lambda row: (row.created_at, str(row.pk))), verdicts, now)
        if len(rows) < batch:
            return released


def _releases_apply(rows, verdicts, now) -> int:
    sent, changed, ahead = [], [], {}
    for row in rows:
        verdict = verdicts.get(row.pk, SEND)
        key = (row.workspace_id, row.subject_type, row.subject_id)
        if verdict.action == "send" and key in ahead:
            verdict = Release("wait", ahead[key], f"waits behind an earlier event about the same {row.subject_type}")
        if verdict.action == "send":
            sent.append(row.pk)
            continue
        if verdict.action == "wait":
            ahead.setdefault(key, verdict.until)
            row.next_attempt_at = row.not_before = verdict.until
        elif verdict.action == "hold":
            row.status, row.next_attempt_at = DeliveryStatus.HELD, None
        else:
            row.status, row.next_attempt_at, row.last_response = DeliveryStatus.REFUSED, None, verdict.reason[:2048]
        row.wait_reason, row.updated_at = verdict.reason, now
        changed.append(row)
    OutboundEvent.objects.filter(pk__in=sent).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, enqueued_at=None, wait_reason="", updated_at=now)
    OutboundEvent.objects.bulk_update(
        changed, ["status", "next_attempt_at", "not_before", "wait_reason", "last_response", "updated_at"], batch_size=500)
    for row in changed:
        if row.status == DeliveryStatus.REFUSED:
            delivery_recorded.send(sender=OutboundEvent, event=row, attempt=None)
    return len(sent)

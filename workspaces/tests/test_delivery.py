"""The outbox against a real local HTTP receiver: signing, retries, attempt log, switch-off."""
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from leadhub.netguard import is_own_ingest_url
from leadhub.testing import WebhookReceiver, make_workspace
from providers.signatures import SignatureError, verify
from workspaces.delivery import (
    RedeliveryRefused,
    outbound_event_redeliver,
    outbox_deliver,
    outbox_emit,
    outbox_sweep,
    retry_delay,
    workspace_events_redeliver,
)
from workspaces.models import AttemptOutcome, DeliveryStatus, EventType, OutboundEvent, Workspace
from workspaces.services import workspace_signing_secret_rotate, workspace_webhook_update

pytestmark = pytest.mark.django_db


def partner(receiver, **fields):
    return make_workspace(outbound_webhook_url=receiver.url, webhook_active=True, **fields)


def emit(workspace, event_type=EventType.LEAD_ASSIGNED, **data):
    return outbox_emit(workspace=workspace, event_type=event_type, data={"lead_id": 1, **data}, contact_id=7)


def make_due(event):
    OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_delivered_once_with_a_signature_the_receiver_verifies():
    with WebhookReceiver([200]) as receiver:
        workspace = partner(receiver)
        event = emit(workspace, amount="12.50")
        delivered = outbox_deliver(event_id=event.pk)
        assert outbox_deliver(event_id=event.pk) is None  # delivered: nothing left to send

    assert delivered.status == DeliveryStatus.DELIVERED and delivered.delivered_at is not None
    (request,) = receiver.requests
    body = request["body"]
    verify(workspace.webhook_secret, request["headers"]["X-Leadhub-Signature"], body)  # raises if invalid
    with pytest.raises(SignatureError):
        verify("another-secret", request["headers"]["X-Leadhub-Signature"], body)
    envelope = json.loads(body)
    assert envelope == {
        "id": str(event.pk),
        "type": "lead.assigned",
        "created_at": event.created_at.isoformat(),
        "data": {"lead_id": 1, "amount": "12.50"},
    }
    assert request["headers"]["X-Leadhub-Event-Id"] == str(event.pk)
    assert request["headers"]["Content-Type"] == "application/json"
    (attempt,) = delivered.attempt_log.all()
    assert (attempt.status_code, attempt.outcome, attempt.response_body) == (200, AttemptOutcome.DELIVERED, "ok")


def test_during_a_secret_rotation_grace_deliveries_carry_both_signatures():
    with WebhookReceiver([200, 200, 200]) as receiver:
        workspace = partner(receiver)
        old_secret = workspace.webhook_secret
        new_secret = workspace_signing_secret_rotate(workspace=workspace, grace=timedelta(hours=1))
        outbox_deliver(event_id=emit(workspace).pk)
        Workspace.objects.filter(pk=workspace.pk).update(
            webhook_secret_previous_expires_at=timezone.now() - timedelta(seconds=1)
        )
        outbox_deliver(event_id=emit(workspace).pk)
        workspace_signing_secret_rotate(workspace=workspace, grace=timedelta(0))
        outbox_deliver(event_id=emit(workspace).pk)

    during, after, leaked = receiver.requests
    header = during["headers"]["X-Leadhub-Signature"]
    assert header.count("v1=") == 2  # t=...,v1=<new>,v1=<old>
    verify(new_secret, header, during["body"])
    verify(old_secret, header, during["body"])  # a receiver not yet switched still accepts it
    header = after["headers"]["X-Leadhub-Signature"]
    assert header.count("v1=") == 1
    verify(new_secret, header, after["body"])
    with pytest.raises(SignatureError):
        verify(old_secret, header, after["body"])
    with pytest.raises(SignatureError):  # grace 0: the secret just replaced signs nothing
        verify(new_secret, leaked["headers"]["X-Leadhub-Signature"], leaked["body"])
    assert leaked["headers"]["X-Leadhub-Signature"].count("v1=") == 1


def test_receiver_500_twice_then_200_is_delivered_with_every_attempt_logged(frozen_clock, settings):
    base = timedelta(seconds=settings.OUTBOUND_WEBHOOK_RETRY_BASE_SECONDS)
    with WebhookReceiver([(500, "boom " * 1000, 0), 503, 200]) as receiver:
        event = emit(partner(receiver))
        first = outbox_deliver(event_id=event.pk)
        assert first.status == DeliveryStatus.PENDING
        assert frozen_clock.at + base * 0.8 <= first.next_attempt_at <= frozen_clock.at + base * 1.2  # the jitter's span
        assert outbox_deliver(event_id=event.pk) is None  # not due yet: backoff, not a hot loop
        make_due(event)
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.PENDING
        make_due(event)
        final = outbox_deliver(event_id=event.pk)

    assert final.status == DeliveryStatus.DELIVERED and final.attempts == 3
    assert len(receiver.requests) == 3 and set(receiver.event_ids) == {str(event.pk)}
    attempts = list(final.attempt_log.order_by("created_at", "id"))
    assert [(a.status_code, a.outcome) for a in attempts] == [(500, "retry"), (503, "retry"), (200, "delivered")]
    assert len(attempts[0].response_body) == 2048  # first 2 KB of the response only
    assert all(a.latency_ms >= 0 for a in attempts)


def test_receiver_400_is_not_retried():
    with WebhookReceiver([(400, "bad field", 0), 200]) as receiver:
        event = emit(partner(receiver))
        failed = outbox_deliver(event_id=event.pk)
        make_due(event)
        assert outbox_deliver(event_id=event.pk) is None
    assert failed.status == DeliveryStatus.FAILED and failed.next_attempt_at is None
    assert (failed.last_status_code, failed.last_response) == (400, "bad field")
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("status", [408, 429, 502])
def test_retryable_status_codes_schedule_a_retry(status):
    with WebhookReceiver([status]) as receiver:
        event = outbox_deliver(event_id=emit(partner(receiver)).pk)
    assert event.status == DeliveryStatus.PENDING and event.next_attempt_at > timezone.now()


def test_timeout_schedules_a_retry(settings):
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 0.3
    with WebhookReceiver([(200, "too late", 1.5)]) as receiver:
        event = outbox_deliver(event_id=emit(partner(receiver)).pk)
    assert event.status == DeliveryStatus.PENDING and event.next_attempt_at > timezone.now()
    (attempt,) = event.attempt_log.all()
    assert attempt.status_code is None and attempt.error.startswith("timeout")
    assert attempt.outcome == AttemptOutcome.RETRY


def test_connection_refused_schedules_a_retry():
    with WebhookReceiver() as receiver:
        url = receiver.url
    workspace = make_workspace(outbound_webhook_url=url, webhook_active=True)  # nobody listens any more
    event = outbox_deliver(event_id=emit(workspace).pk)
    assert event.status == DeliveryStatus.PENDING
    assert event.attempt_log.get().error.startswith("connection error")


def test_redirects_are_not_followed():
    with WebhookReceiver([302]) as receiver:
        event = outbox_deliver(event_id=emit(partner(receiver)).pk)
    assert event.status == DeliveryStatus.FAILED and event.last_status_code == 302


def test_retry_budget_spent_marks_the_event_failed(settings):
    settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS = 2
    with WebhookReceiver([500]) as receiver:
        event = emit(partner(receiver))
        outbox_deliver(event_id=event.pk)
        make_due(event)
        final = outbox_deliver(event_id=event.pk)
    assert final.status == DeliveryStatus.FAILED and final.attempts == 2


def test_backoff_grows_exponentially_with_jitter_to_about_a_day(settings):
    delays = [retry_delay(n).total_seconds() for n in range(1, settings.OUTBOUND_WEBHOOK_MAX_ATTEMPTS)]
    assert 48 <= delays[0] <= 72 and 96 <= delays[1] <= 144
    assert max(delays) <= settings.OUTBOUND_WEBHOOK_RETRY_MAX_SECONDS * 1.2
    assert 18 * 3600 < sum(delays) < 30 * 3600


def test_event_commits_and_rolls_back_with_the_callers_transaction():
    workspace = make_workspace(outbound_webhook_url="https://partner.example/hook", webhook_active=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(workspace)
        raise RuntimeError("the service failed")
    assert not OutboundEvent.objects.exists()


def test_nothing_is_stored_without_a_url_or_subscription():
    assert emit(make_workspace()) is None
    subscribed_elsewhere = make_workspace(
        outbound_webhook_url="https://partner.example/hook",
        webhook_active=True,
        webhook_events=[EventType.CONVERSION_CREATED],
    )
    assert emit(subscribed_elsewhere, EventType.LEAD_ASSIGNED) is None
    assert emit(subscribed_elsewhere, EventType.CONVERSION_CREATED).status == DeliveryStatus.PENDING


def test_unknown_event_type_is_a_programming_error():
    with pytest.raises(ValueError):
        emit(make_workspace(outbound_webhook_url="https://partner.example/hook"), "lead.exploded")


def test_twenty_failed_events_switch_the_webhook_off_then_events_are_skipped(settings):
    with WebhookReceiver([(400, "nope", 0)]) as receiver:
        workspace = partner(receiver)
        for _ in range(settings.OUTBOUND_WEBHOOK_FAILURE_LIMIT - 1):
            outbox_deliver(event_id=emit(workspace).pk)
        workspace.refresh_from_db()
        assert workspace.webhook_active and workspace.webhook_failure_streak == 19
        outbox_deliver(event_id=emit(workspace).pk)
        workspace.refresh_from_db()
        assert not workspace.webhook_active
        assert "20 consecutive failed events" in workspace.webhook_disabled_reason
        skipped = emit(workspace)
        assert skipped.status == DeliveryStatus.SKIPPED and skipped.next_attempt_at is None
        assert outbox_deliver(event_id=skipped.pk) is None
        assert len(receiver.requests) == 20

        with pytest.raises(RedeliveryRefused) as refused:
            workspace_events_redeliver(workspace=workspace)
        assert "webhook_active" in refused.value.errors

        receiver.script = [(200, "ok", 0)]
        workspace_webhook_update(workspace=workspace, webhook_active=True)
        workspace.refresh_from_db()
        assert workspace.webhook_failure_streak == 0 and workspace.webhook_disabled_reason == ""
        assert workspace_events_redeliver(workspace=workspace) == 21
        assert OutboundEvent.objects.filter(workspace=workspace, status=DeliveryStatus.PENDING).count() == 21
        assert outbox_deliver(event_id=skipped.pk).status == DeliveryStatus.DELIVERED


def test_a_delivery_resets_the_failure_streak():
    with WebhookReceiver([400, 400, 200]) as receiver:
        workspace = partner(receiver)
        for _ in range(3):
            outbox_deliver(event_id=emit(workspace).pk)
    workspace.refresh_from_db()
    assert workspace.webhook_failure_streak == 0 and workspace.webhook_active


def test_events_pending_when_the_webhook_goes_off_are_skipped_not_sent():
    with WebhookReceiver([200]) as receiver:
        workspace = partner(receiver)
        event = emit(workspace)
        Workspace.objects.filter(pk=workspace.pk).update(webhook_active=False)
        assert outbox_deliver(event_id=event.pk) is None
    event.refresh_from_db()
    assert event.status == DeliveryStatus.SKIPPED and not receiver.requests


def test_redeliver_one_event_sends_it_again():
    with WebhookReceiver([200]) as receiver:
        event = emit(partner(receiver))
        outbox_deliver(event_id=event.pk)
        event.refresh_from_db()
        assert outbound_event_redeliver(event=event) == 1
        with pytest.raises(RedeliveryRefused):
            outbound_event_redeliver(event=OutboundEvent.objects.get(pk=event.pk))  # already queued
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED
    assert receiver.event_ids == [str(event.pk)] * 2


def test_sweeper_sends_due_rows_whose_task_is_missing(eager_celery, settings):
    with WebhookReceiver([200]) as receiver:
        workspace = partner(receiver)
        lost, queued, later = emit(workspace), emit(workspace), emit(workspace)
        OutboundEvent.objects.filter(pk=lost.pk).update(enqueued_at=None)  # e.g. the broker was down
        OutboundEvent.objects.filter(pk=later.pk).update(
            enqueued_at=None, next_attempt_at=timezone.now() + timedelta(minutes=5)
        )
        assert outbox_sweep() == 1
        stale = timezone.now() - timedelta(seconds=settings.OUTBOX_REENQUEUE_SECONDS + 1)
        OutboundEvent.objects.filter(pk=queued.pk).update(enqueued_at=stale)  # its task vanished
        assert outbox_sweep() == 1
    assert receiver.event_ids == [str(lost.pk), str(queued.pk)]
    assert OutboundEvent.objects.get(pk=later.pk).status == DeliveryStatus.PENDING


def test_a_claimed_event_is_not_sent_twice(settings):
    """The claim pushes next_attempt_at out, so a duplicate task finds nothing due."""
    from workspaces.delivery import _claim

    with WebhookReceiver([200]) as receiver:
        event = emit(partner(receiver))
        assert _claim(event.pk) is not None
        assert outbox_deliver(event_id=event.pk) is None
        # The claimant died: once the claim expires the event is due again.
        OutboundEvent.objects.filter(pk=event.pk).update(next_attempt_at=timezone.now())
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_by_another_worker_is_skipped_not_waited_for():
    import threading

    from django.db import connections

    with WebhookReceiver([200]) as receiver:
        workspace = partner(receiver)
        event = emit(workspace)
        locked, done = threading.Event(), threading.Event()

        def other_worker():
            try:
                with transaction.atomic():
                    OutboundEvent.objects.select_for_update().get(pk=event.pk)
                    locked.set()
                    done.wait(10)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_worker)
        thread.start()
        assert locked.wait(10)
        try:
            assert outbox_deliver(event_id=event.pk) is None  # SKIP LOCKED: returns at once
        finally:
            done.set()
            thread.join()
        assert outbox_deliver(event_id=event.pk).status == DeliveryStatus.DELIVERED
    assert len(receiver.requests) == 1


def test_own_ingest_urls_are_refused(settings):
    settings.ALLOWED_HOSTS = ["leadhub.example", "127.0.0.1"]
    assert is_own_ingest_url("https://leadhub.example/api/v1/webhooks/wh-1/leads/")
    assert not is_own_ingest_url("https://partner.example/api/v1/webhooks/wh-1/leads/")
    assert not is_own_ingest_url("https://leadhub.example/hooks/")
    workspace = make_workspace(
        outbound_webhook_url="http://127.0.0.1:9/api/v1/webhooks/wh-1/leads/", webhook_active=True
    )
    event = outbox_deliver(event_id=emit(workspace).pk)
    assert event.status == DeliveryStatus.FAILED and "own ingest URL" in event.last_response


def test_embedded_mode_delivers_right_after_commit(eager_celery, django_capture_on_commit_callbacks):
    """Without Redis, Celery runs eagerly: the on-commit enqueue sends at once."""
    with WebhookReceiver([200]) as receiver:
        workspace = partner(receiver)
        with django_capture_on_commit_callbacks(execute=True):
            event = emit(workspace)
            assert not receiver.requests  # nothing leaves before commit
    assert receiver.event_ids == [str(event.pk)]
    assert OutboundEvent.objects.get(pk=event.pk).status == DeliveryStatus.DELIVERED

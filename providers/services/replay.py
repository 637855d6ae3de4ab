"""Signature receipts: a signed post sent again inside its window gets its first answer back."""
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from leadhub.errors import ServiceConflict
from providers.models import SignatureReceipt
from providers.services.rejected import storable_clip
from providers.signatures import TOLERANCE_SECONDS


class ReplayInProgress(ServiceConflict):
    """A copy of a signed post that arrived while the first is still being processed."""

    code = "replay_in_progress"

    def __init__(self):
        super().__init__("The same signed post is still being processed; send it again in a few seconds.")


def signature_receipt_claim(*, digest: str, webhook_id: str) -> dict | None:
    """Claim a signed post for processing: None when this is its first sight (go ahead), the
    original answer when it was already accepted. The unique digest decides, so of two
    simultaneous copies exactly one is processed; the other is told to retry."""
    try:
        with transaction.atomic():
            SignatureReceipt.objects.create(digest=digest, webhook_id=storable_clip(webhook_id, 255))
        return None
    except IntegrityError:
        pass
    response = SignatureReceipt.objects.filter(digest=digest).values_list("response", flat=True).first()
    if response is None:
        raise ReplayInProgress()
    return response


def signature_receipt_settle(*, digest: str, response: dict | None) -> None:
    """Record the accepted post's answer for its replays, or (None: refused or failed) drop the
    claim, so sending it again is judged again."""
    receipts = SignatureReceipt.objects.filter(digest=digest)
    if response is None:
        receipts.delete()
    else:
        receipts.update(response=response)


def signature_receipts_purge(*, now=None) -> int:
    """Receipts outlive their signature's window only by a margin: an older timestamp is refused
    as expired anyway."""
    cutoff = (now or timezone.now()) - timedelta(seconds=TOLERANCE_SECONDS * 2 + 60)
    deleted, _ = SignatureReceipt.objects.filter(created_at__lt=cutoff).delete()
    return deleted

"""Verifying a lead's consent evidence with its issuers: a TrustedForm certificate (API v4: match
the lead, retain, verify the advertiser) and a Jornaya LeadiD token (authenticate).

Asked only once an offer wants the lead (a buyer took a `capture` lead: distribution.selling;
a lead held for its evidence: the distributor's dry run says who would take it), and never while a
post waits: the call runs in a Celery task after the asking transaction commits. A retain is
billed and allowed once per certificate and a token has 100 lookups, so each piece is verified
at most once: its ConsentEvidence row is the claim, `requested_at` is committed before the call,
and no call is made for a row that has it (a retried or re-delivered task) nor for a value another
lead's row already verified (that answer is copied). A verifier without its credential in the
settings verifies nothing.

A `verified_before_sale` lead's `evidence` hold is released (by "verifier") once every piece
asked for is verified and none failed; a failure or error keeps it held, its message saying why.
"""
import base64
import json
import logging
from datetime import datetime
from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from leadhub.celery import task_run_later
from leads.consent_evidence import EVIDENCE_COLUMNS, TRUSTEDFORM
from leads.handoff import lead_distributor
from leads.holds import EVIDENCE, lead_hold_release
from leads.models import ConsentEvidence, EvidenceOutcome, Lead, LeadHold
from workspaces.delivery import http_post

logger = logging.getLogger(__name__)

VERIFIER = "verifier"
ANSWER_LIMIT = 64 * 1024  # a v4 answer with its verify and insights parts fits easily


def _configured(kind: str) -> bool:
    if kind == TRUSTEDFORM:
        return bool(settings.CONSENT_VERIFIER_TRUSTEDFORM_API_KEY)
    return bool(settings.CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE)


def consent_evidence_request(*, lead, advertiser_name: str = "") -> list[ConsentEvidence]:
    """An offer wants `lead` (for `advertiser_name`, the buyer): claim a row for each piece of its
    valid evidence a configured verifier has not been asked about, and queue their verification
    after commit. Costs no query for a lead without such evidence."""
    pieces = [(kind, value) for kind, column in EVIDENCE_COLUMNS.items()
              if (value := getattr(lead, column)) and column not in lead.evidence_invalid and _configured(kind)]
    if not pieces:
        return []
    claimed = []
    for kind, value in pieces:
        row, created = ConsentEvidence.objects.get_or_create(lead_id=lead.pk, kind=kind, defaults={"value": value})
        if created:
            claimed.append(row)
            transaction.on_commit(partial(_enqueue, row.pk, advertiser_name))
    return claimed


def held_lead_evidence_check(*, lead_id) -> list[ConsentEvidence]:
    """A lead held for its evidence alone: verify it if an offer would take it once released (the
    distributor's dry run), else nothing (no offer wants it: no retain is billed)."""
    lead = Lead.objects.filter(pk=lead_id).first()
    distributor = lead_distributor()
    if lead is None or lead.hold_reasons != EVIDENCE or distributor is None:
        return []
    advertiser_name = distributor.wanted_by(lead=lead)
    if advertiser_name is None:
        return []
    claimed = consent_evidence_request(lead=lead, advertiser_name=advertiser_name)
    if not claimed:
        _evidence_hold_settle(lead.pk)  # nothing (more) to ask: settle on what is known
    return claimed


def held_lead_evidence_queue(*, lead_id):
    """After commit, check a lead just held for its evidence alone (`held_lead_evidence_check`)."""
    transaction.on_commit(partial(_run_task, "check_held_lead_evidence", lead_id))


def _enqueue(evidence_id, advertiser_name):
    _run_task("verify_consent_evidence", evidence_id, advertiser_name)


def _run_task(name, *args):
    """Hand a task to Celery, never inside the caller's request (leadhub.celery.task_run_later);
    a broker that cannot take it is logged, not raised: the post or release that asked is done."""
    from leads import tasks

    try:
        task_run_later(getattr(tasks, name), args=args)
    except Exception:
        logger.exception("consent evidence: could not enqueue %s%r", name, args)


def consent_evidence_verify(*, evidence_id, advertiser_name: str = "") -> ConsentEvidence | None:
    """Verify one claimed piece of evidence, at most once (see the module's docstring), and store
    what the verifier said; then settle the lead's evidence hold."""
    with transaction.atomic():
        row = (ConsentEvidence.objects.select_for_update(of=("self",)).select_related("lead")
               .filter(pk=evidence_id).first())
        if row is None or row.requested_at is not None:
            return row
        now = timezone.now()
        row.requested_at = now
        earlier = (ConsentEvidence.objects.filter(kind=row.kind, value=row.value, requested_at__isnull=False)
                   .exclude(outcome=EvidenceOutcome.PENDING).exclude(pk=row.pk).order_by("pk").first())
        if earlier is not None:
            _record(row, {**_answer_of(earlier), "reason": f"As verified for lead #{earlier.lead_id}: {earlier.reason}"
                          if earlier.reason else f"As verified for lead #{earlier.lead_id}."}, at=now)
        else:
            row.save(update_fields=["requested_at", "updated_at"])
    if earlier is None:
        answer = _trustedform(row, advertiser_name) if row.kind == TRUSTEDFORM else _jornaya(row)
        with transaction.atomic():
            row = ConsentEvidence.objects.select_for_update().get(pk=row.pk)
            _record(row, answer, at=timezone.now())
    _evidence_hold_settle(row.lead_id)
    return row


def _answer_of(row) -> dict:
    return {name: getattr(row, name) for name in ("outcome", "reason", "expires_at", "phone_match", "email_match",
                                                  "one_to_one", "raw_answer")}


def _record(row, answer: dict, *, at):
    for name, value in answer.items():
        setattr(row, name, value)
    row.checked_at = at
    row.save()


def _call(*, url, method, headers, body=None) -> tuple[dict | None, str]:
    """(the verifier's JSON answer, "") or (None, why there is none to judge by)."""
    result = http_post(url=url, body=body, headers=headers, method=method, limit=ANSWER_LIMIT)
    if result.error:
        return None, f"Verifier not reached: {result.error}."
    if not result.ok:
        return None, f"Verifier answered HTTP {result.status_code}."
    try:
        answer = json.loads(result.body)
    except ValueError:
        return None, "Verifier answered something that is not JSON."
    return (answer, "") if isinstance(answer, dict) else (None, "Verifier answered something that is not an object.")


def _error(reason, raw=None) -> dict:
    return {"outcome": EvidenceOutcome.ERROR, "reason": reason, "raw_answer": raw or {}}


def _trustedform(row, advertiser_name) -> dict:
    """TrustedForm API v4: match the lead's email and phone, retain the certificate for this lead,
    and (knowing the buyer) verify the consent names it, one-to-one."""
    cert_id = row.value.rsplit("/", 1)[-1]
    base = settings.CONSENT_VERIFIER_TRUSTEDFORM_URL
    url = f"{base.rstrip('/')}/{cert_id}" if base else row.value
    lead = row.lead
    request = {"match_lead": {"email": lead.email, "phone": lead.phone.removeprefix("+1")},
               "retain": {"reference": str(lead.pk), "vendor": lead.provider_id or lead.webhook_id}}
    if advertiser_name:
        request["verify"] = {"advertiser_name": advertiser_name}
    credentials = base64.b64encode(f"X:{settings.CONSENT_VERIFIER_TRUSTEDFORM_API_KEY}".encode()).decode()
    answer, problem = _call(url=url, method="POST", body=json.dumps(request).encode(), headers={
        "Content-Type": "application/json", "Accept": "application/json", "api-version": "4.0",
        "Authorization": f"Basic {credentials}", "User-Agent": "leadhub-consent/1"})
    if answer is None:
        return _error(problem)
    matched = (answer.get("match_lead") or {}).get("result") or {}
    retained = (answer.get("retain") or {}).get("results") or {}
    verified = (answer.get("verify") or {}).get("result") or {}
    found = {"phone_match": _flag(matched.get("phone_match")), "email_match": _flag(matched.get("email_match")),
             "one_to_one": _flag(verified.get("one_to_one")), "expires_at": _moment(retained.get("expires_at")),
             "raw_answer": answer}
    outcome, reason = answer.get("outcome"), str(answer.get("reason") or "")
    if outcome not in (EvidenceOutcome.SUCCESS, EvidenceOutcome.FAILURE, EvidenceOutcome.ERROR):
        return {**found, **_error(f"Verifier answered an unknown outcome {outcome!r}.", answer)}
    if outcome == EvidenceOutcome.SUCCESS and matched.get("success") is False:
        outcome, reason = EvidenceOutcome.FAILURE, "The lead's email and phone do not match the certificate."
    elif outcome == EvidenceOutcome.SUCCESS and found["one_to_one"] is False:
        outcome, reason = EvidenceOutcome.FAILURE, f"One-to-one consent not granted to {advertiser_name}."
    return {**found, "outcome": outcome, "reason": reason}


def _jornaya(row) -> dict:
    """Jornaya authenticate: was this token issued by Jornaya (`authentic: 1`)?"""
    query = urlencode({"lac": settings.CONSENT_VERIFIER_JORNAYA_ACCOUNT_CODE, "id": row.value})
    answer, problem = _call(url=f"{settings.CONSENT_VERIFIER_JORNAYA_URL}?{query}", method="GET",
                            headers={"Accept": "application/json", "User-Agent": "leadhub-consent/1"})
    if answer is None:
        return _error(problem)
    authentic = (answer.get("authenticate") or {}).get("authentic")
    if str(authentic) == "1":
        return {"outcome": EvidenceOutcome.SUCCESS, "reason": "", "raw_answer": answer}
    if str(authentic) == "0":
        return {"outcome": EvidenceOutcome.FAILURE, "raw_answer": answer,
                "reason": "Not authentic: not issued by Jornaya, or looked up more often than its lookups allow."}
    return _error("Verifier answered no `authenticate.authentic`.", answer)


def _flag(value) -> bool | None:
    return value if isinstance(value, bool) else None


def _moment(value) -> datetime | None:
    try:
        return parse_datetime(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _evidence_hold_settle(lead_id):
    """Release the lead's live evidence hold once every piece asked for is verified and none
    failed; while one failed or erred, its message says so (and it stays held)."""
    hold = LeadHold.objects.filter(lead_id=lead_id, reason=EVIDENCE, released_at__isnull=True).first()
    if hold is None:
        return
    rows = list(ConsentEvidence.objects.filter(lead_id=lead_id))
    if not rows or any(row.outcome == EvidenceOutcome.PENDING for row in rows):
        return
    flawed = [row for row in rows if row.outcome != EvidenceOutcome.SUCCESS]
    if flawed:
        message = "Held: consent evidence not verified. " + " ".join(
            f"{row.get_kind_display()}: {row.get_outcome_display().lower()}"
            + (f" ({row.reason})" if row.reason else "") + "." for row in flawed)
        LeadHold.objects.filter(pk=hold.pk).update(message=message)
        return
    lead_hold_release(lead=Lead(pk=lead_id), reason=EVIDENCE, by=VERIFIER,
                      note="; ".join(f"{row.get_kind_display()} verified" for row in rows) + ".")

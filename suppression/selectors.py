"""Reads of suppression: is a lead's phone or email suppressed, for whom. Every check is one
query on the entries' digest index, whatever the number of buyers asked about or of entries
stored (bench/suppression.py measures it at 10 and at 1,000,000 entries)."""
from .keys import subject_digests
from .kinds import Match, applies_to, applies_to_everyone
from .models import SuppressionEntry, SuppressionList


def suppression_matches(*, phone="", email="") -> list[Match]:
    digests = subject_digests(phone=phone, email=email)
    if not digests:
        return []
    rows = SuppressionEntry.objects.filter(digest__in=digests).values_list(
        "suppression_list__kind", "suppression_list__workspace_id", "applies_to_all")
    return [Match(kind=kind, list_workspace_id=workspace_id, applies_to_all=to_all)
            for kind, workspace_id, to_all in rows]


def suppressed_for_everyone(*, phone="", email="") -> bool:
    """Whether a list that applies to every buyer holds the phone or email (what ingest acts on)."""
    return any(applies_to_everyone(match) for match in suppression_matches(phone=phone, email=email))


def suppressed_workspaces(*, phone="", email="", workspaces) -> set:
    """The ids of `workspaces` the phone or email may not be sold to (one query for all of them)."""
    workspaces = list(workspaces)
    if not workspaces:
        return set()
    matches = suppression_matches(phone=phone, email=email)
    return {workspace.pk for workspace in workspaces if any(applies_to(match, workspace) for match in matches)}


def suppressed_workspaces_many(*, subjects: dict, workspaces) -> dict:
    """{key: ids of `workspaces` that subject may not be sold to} for `subjects` {key: (phone,
    email)}: `suppressed_workspaces` for many at once, one query on the digest index for all."""
    workspaces, digests = list(workspaces), {key: subject_digests(phone=p, email=e) for key, (p, e) in subjects.items()}
    wanted = {digest for values in digests.values() for digest in values}
    if not workspaces or not wanted:
        return {key: set() for key in subjects}
    found = {}
    for digest, kind, workspace_id, to_all in SuppressionEntry.objects.filter(digest__in=wanted).values_list(
            "digest", "suppression_list__kind", "suppression_list__workspace_id", "applies_to_all"):
        found.setdefault(digest, []).append(Match(kind=kind, list_workspace_id=workspace_id, applies_to_all=to_all))
    answer = {}
    for key, values in digests.items():
        matches = [match for digest in values for match in found.get(digest, ())]
        answer[key] = {w.pk for w in workspaces if any(applies_to(match, w) for match in matches)} if matches else set()
    return answer


def opt_outs_reported_by(*, workspace):
    """A workspace's own reports (the partner list); staff (None) read every workspace's."""
    entries = SuppressionEntry.objects.filter(suppression_list__kind="opt_out").select_related("suppression_list")
    if workspace is not None:
        entries = entries.filter(suppression_list__workspace=workspace)
    return entries.order_by("-id")


def list_of(*, name: str):
    return SuppressionList.objects.filter(name=name).first()

"""Who a list applies to, per kind: the one place that answers "is this entry a reason not to
sell to this buyer?" and "is it a reason not to sell to anyone?".

- internal do-not-contact: every buyer (so ingest may refuse or hold the post at once);
- do-not-call registries (`dnc`): only buyers that call consumers (`Workspace.calls_consumers`),
  which is why ingest never acts on them alone: a buyer that only emails may still take the lead;
- a workspace's opt-outs: that buyer, and every buyer when it bought the number (the consumer
  opted out of a sale we made; `applies_to_all`, decided when it was reported).

A new kind is one `ListKind` value and one `KINDS` entry.
"""
from collections.abc import Callable
from dataclasses import dataclass

from .models import ListKind


@dataclass(frozen=True)
class Match:
    """An entry found for a lead's phone or email, as much of it as the rules read."""

    kind: str
    list_workspace_id: str | None
    applies_to_all: bool


@dataclass(frozen=True)
class KindRule:
    # (match) -> whether it stops the lead for every buyer
    everyone: Callable[[Match], bool]
    # (match, workspace) -> whether it stops the lead for this buyer
    applies: Callable[[Match, object], bool]


KINDS = {
    ListKind.INTERNAL: KindRule(everyone=lambda match: True, applies=lambda match, workspace: True),
    ListKind.DNC: KindRule(everyone=lambda match: False, applies=lambda match, workspace: workspace.calls_consumers),
    ListKind.OPT_OUT: KindRule(
        everyone=lambda match: match.applies_to_all,
        applies=lambda match, workspace: match.applies_to_all or match.list_workspace_id == workspace.pk,
    ),
}


def applies_to_everyone(match: Match) -> bool:
    return KINDS[match.kind].everyone(match)


def applies_to(match: Match, workspace) -> bool:
    return KINDS[match.kind].applies(match, workspace)

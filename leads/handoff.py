"""The handoff from ingest to distribution, as an explicit result.

Distribution sits above leads, so `lead_ingest` cannot call it; distribution registers itself
here at ready() as the one distributor, and ingest takes the webhook answer's disposition from
what the distributor returns. There is exactly one: a second registration is refused, where a
second receiver of a signal would have silently replaced the answer."""
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Disposition:
    """What the webhook answer says of a lead: `sold` to a buyer, and `price`: the source's payout
    booked for it (never the buyer's price; None: the webhook has no payout terms)."""

    sold: bool = False
    price: Decimal | None = None


@dataclass(frozen=True)
class Distributor:
    # A new lead, after its own transaction: distribute it. Must not raise (the lead is accepted).
    accepted: Callable  # (*, lead, webhook, sent_from_workspace) -> Disposition
    # A replay of an earlier post: what the original answer said (or, for a lead left without a
    # decision, what distributing it now books). Must not raise.
    replayed: Callable  # (*, lead, webhook) -> Disposition
    # A lead held only for its consent evidence: the name of the buyer whose offer would take it
    # were it released (a dry run, nothing written), or None: no offer wants it, so its evidence
    # is not verified (a TrustedForm retain is billed). Must not raise.
    wanted_by: Callable  # (*, lead) -> str | None


_distributor: list[Distributor] = []


def lead_distributor_register(*, accepted, replayed, wanted_by):
    if _distributor:
        raise ImproperlyConfigured("A lead distributor is already registered; there is one handoff from ingest.")
    _distributor.append(Distributor(accepted=accepted, replayed=replayed, wanted_by=wanted_by))


def lead_distributor() -> Distributor | None:
    """The registered distributor (None when no app distributes: the answer is not sold, no price)."""
    return _distributor[0] if _distributor else None

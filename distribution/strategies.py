"""Distribution's strategies: how the buyers of a lead are chosen among the eligible offers.

One entry per strategy holds all that distribution does differently by it, so adding one is one
`strategy_register(Strategy(...))` here and nothing else:
- `choose`: the winners among the eligible, which come in winning order (distribution.engine);
- `shared`: its buyers share the lead, so an appointment of the lead goes to one of them
  (distribution.services._appointment_buyers);
- `rotation`: the offers a simulation shows the next winner is taken from (round robin's
  rotation; none for the others), since a simulation never moves a rotation.
The webhook's `distribution_strategy` offers and accepts exactly the registered names: the
webhook lives below distribution, so the names and their words are handed down to
`providers.models.STRATEGY_CHOICES` as each is registered.
"""
import random
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from providers.models import STRATEGY_CHOICES

from .models import RoundRobinCursor

PRIORITY = "priority"
ROUND_ROBIN = "round_robin"
WEIGHTED = "weighted"
ALL_MATCHES = "all_matches"
HIGHEST_PRICE = "highest_price"
MULTISELL = "multisell"

_random = random.Random()


@dataclass(frozen=True)
class Strategy:
    name: str
    label: str
    choose: Callable  # (eligible, *, key, rng, max_buyers) -> winners
    shared: bool
    rotation: Callable  # (eligible) -> the offers the next winner is taken from


STRATEGIES: dict[str, Strategy] = {}


def strategy_register(strategy: Strategy) -> Strategy:
    """Add `strategy`, refusing one that lacks a part: a strategy distribution cannot run in full
    would fail on a live lead instead of here, at start-up."""
    missing = [f.name for f in fields(Strategy) if getattr(strategy, f.name, None) in (None, "")]
    missing += [name for name in ("choose", "rotation") if not callable(getattr(strategy, name, None))]
    if not isinstance(strategy.shared, bool):
        missing.append("shared")
    if missing:
        raise ImproperlyConfigured(f"Strategy '{strategy.name}' lacks: {', '.join(sorted(set(missing)))}.")
    STRATEGIES[strategy.name] = strategy
    STRATEGY_CHOICES[strategy.name] = strategy.label
    return strategy


def strategy_get(name: str) -> Strategy:
    """The strategy `name`; blank (a simulation of a webhook that does not distribute, whose
    winners are dropped) chooses as priority."""
    return STRATEGIES[name or PRIORITY]


def strategy_choices() -> list[tuple[str, str]]:
    return [(s.name, s.label) for s in STRATEGIES.values()]


def shared_strategies() -> list[str]:
    return [s.name for s in STRATEGIES.values() if s.shared]


def round_robin_next(key: str) -> int:
    """The next position for `key`, moved by one atomic upsert: concurrent callers queue on the
    row lock and each gets its own number, so a rotation stays fair to ±1."""
    table = RoundRobinCursor._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, position) VALUES (%s, 0) "
            f"ON CONFLICT (key) DO UPDATE SET position = {table}.position + 1 RETURNING position",
            [key],
        )
        return cursor.fetchone()[0]


def round_robin_top(eligible) -> list:
    """The offers round robin rotates among: the eligible of the top priority."""
    return [c for c in eligible if c.offer.priority == eligible[0].offer.priority]


def _no_rotation(eligible) -> list:
    return []


def _by_price(eligible):
    """Best shared price first; equal prices keep winning order (sorted() is stable)."""
    return sorted(eligible, key=lambda c: -c.price)


def _priority(eligible, *, key, rng, max_buyers):
    return eligible[:1]  # the waterfall's first eligible offer


def _round_robin(eligible, *, key, rng, max_buyers):
    top = round_robin_top(eligible)
    if len(top) == 1:
        return top
    return [top[round_robin_next(f"{key}:{top[0].offer.priority}") % len(top)]]


def _weighted(eligible, *, key, rng, max_buyers):
    return (rng or _random).choices(eligible, weights=[c.offer.weight for c in eligible])


def _all_matches(eligible, *, key, rng, max_buyers):
    return list(eligible)


def _highest_price(eligible, *, key, rng, max_buyers):
    return _by_price(eligible)[:1]


def _multisell(eligible, *, key, rng, max_buyers):
    """Up to `max_buyers` buyers at their shared prices, unless one buyer's exclusive price beats their sum."""
    shared, buyers = [], set()
    for candidate in _by_price(eligible):
        if candidate.offer.workspace_id not in buyers:
            buyers.add(candidate.offer.workspace_id)
            shared.append(candidate)
    shared = shared[:max_buyers]
    exclusives = [c for c in eligible if c.exclusive_price is not None]
    if exclusives:
        best = max(exclusives, key=lambda c: c.exclusive_price)  # max() keeps the first of equals
        if best.exclusive_price > sum(c.price for c in shared):
            best.exclusive = True
            return [best]
    return shared


strategy_register(Strategy(PRIORITY, "Priority (waterfall)", _priority, shared=False, rotation=_no_rotation))
strategy_register(Strategy(ROUND_ROBIN, "Round robin (top priority)", _round_robin, shared=False,
                           rotation=lambda eligible: round_robin_top(eligible) if eligible else []))
strategy_register(Strategy(WEIGHTED, "Weighted random", _weighted, shared=False, rotation=_no_rotation))
strategy_register(Strategy(ALL_MATCHES, "All matches", _all_matches, shared=False, rotation=_no_rotation))
strategy_register(Strategy(HIGHEST_PRICE, "Highest price", _highest_price, shared=False, rotation=_no_rotation))
strategy_register(Strategy(MULTISELL, "Multisell (up to N buyers, or one exclusive)", _multisell, shared=True,
                           rotation=_no_rotation))

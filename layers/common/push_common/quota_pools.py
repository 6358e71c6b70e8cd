"""Caller budgets (docs/architecture.md §15): which pool of the day's quota a caller draws from.

With QUOTA_BUDGETS set, each listed caller has a pool of its own (its reserved daily share) and
every other caller draws from the `shared` pool (the limit minus all budgets). A pool's use on a
day is two counters of the quota item, next to the day's own:

- `pool_taken#<day>#<pool>`: slots the pool sent that day plus slots it holds for that day;
- `pool_held#<day>#<pool>`: slots the pool holds for that day with scheduled pushes.

They change in the same conditional UpdateItem as the day's counters, so a budget holds under
any concurrency without a transaction. Without QUOTA_BUDGETS there are no pools and no pool
counters: the quota is what it always was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from push_common.identity import same_principal
from push_common.settings import SHARED_POOL


@dataclass(frozen=True)
class Pool:
    """A share of the day's quota: `name` is the caller of QUOTA_BUDGETS, or `shared`."""

    name: str
    budget: int

    def taken_attribute(self, day: str) -> str:
        return pool_taken_attribute(day, self.name)

    def held_attribute(self, day: str) -> str:
        return pool_held_attribute(day, self.name)


def pool_taken_attribute(day: str, pool: str) -> str:
    return f"pool_taken#{day}#{pool}"


def pool_held_attribute(day: str, pool: str) -> str:
    return f"pool_held#{day}#{pool}"


@dataclass(frozen=True)
class Budgets:
    """QUOTA_BUDGETS, validated by Settings (positive, summing to at most `limit`)."""

    limit: int
    shares: Mapping[str, int]

    @property
    def enabled(self) -> bool:
        return bool(self.shares)

    @property
    def shared_budget(self) -> int:
        return self.limit - sum(self.shares.values())

    def pool_of(self, caller: str) -> Pool | None:
        """The pool `caller` draws from; None when no budgets are configured."""
        if not self.shares:
            return None
        for name, budget in self.shares.items():
            if same_principal(name, caller):
                return Pool(name, budget)
        return Pool(SHARED_POOL, self.shared_budget)


@dataclass(frozen=True)
class PoolUse:
    """A pool's share of one day (`GET /v1/quota`'s `caller`)."""

    name: str
    budget: int
    used: int
    scheduled: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "budget": self.budget,
            "used": self.used,
            "scheduled": self.scheduled,
            "remaining": max(0, self.budget - self.used - self.scheduled),
        }

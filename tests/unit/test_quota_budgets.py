"""Caller budgets in the quota store, on moto in-process (docs/architecture.md §15).

Single-threaded behaviour: which pool a caller draws from, each refusal and its order, what
scheduling, cancelling, firing and releasing do to a pool, the caller's view, and pruning.
(Concurrency is proved on dynalite: tests/proofs/reliability/test_budget_contention.py.)
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from push_common.errors import QuotaExceeded, ScheduleDayFull
from push_common.quota import QUOTA_KEY_ATTRIBUTE, QuotaPolicy, QuotaStore
from push_common.quota_calendar import QuotaCalendar
from push_common.quota_pools import Budgets, Pool, pool_held_attribute, pool_taken_attribute
from tests.unit.test_quota import TABLE, Clock, clock, ddb

__all__ = ["clock", "ddb"]  # the quota tests' fixtures: a moto table and a clock at noon

ZONE = ZoneInfo("Asia/Shanghai")
TODAY, TOMORROW = "2026-11-26", "2026-11-27"
MARKETING = "arn:aws:iam::123456789012:role/marketing"
OPS = "arn:aws:iam::123456789012:role/teams/ops"  # configured with its path
OPS_SESSION = "arn:aws:sts::123456789012:assumed-role/ops/i-0abc"
ORDERS = "arn:aws:iam::123456789012:role/orders"  # not listed


def store(
    ddb: Any, clock: Clock, *, limit: int = 6, shares: dict[str, int] | None = None
) -> QuotaStore:
    budgets = Budgets(limit, {MARKETING: 2, OPS: 1} if shares is None else shares)
    policy = QuotaPolicy(
        limit=limit,
        interval_ms=1000,
        margin_ms=50,
        calendar=QuotaCalendar(ZONE),
        schedule_max_days=30,
        budgets=budgets,
    )
    return QuotaStore(ddb, TABLE, "1400000000", policy, clock=clock)


def item(ddb: Any) -> dict[str, Any]:
    key = {QUOTA_KEY_ATTRIBUTE: {"S": "quota#1400000000"}}
    return dict(ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item") or {})


def counter(ddb: Any, name: str) -> int:
    return int(item(ddb).get(name, {"N": "0"})["N"])


def push_as(quota: QuotaStore, clock: Clock, caller: str) -> None:
    quota.reserve(quota.policy.pool_of(caller))
    clock.advance(2)


def test_each_caller_draws_from_its_own_pool_or_the_shared_rest(ddb: Any, clock: Clock) -> None:
    policy = store(ddb, clock).policy
    assert policy.pool_of(MARKETING) == Pool(MARKETING, 2)
    assert policy.pool_of(OPS_SESSION) == Pool(OPS, 1)  # a session of the role, without path
    assert policy.pool_of(ORDERS) == Pool("shared", 3)
    assert policy.pool_of("eventbridge:com.example.billing") == Pool("shared", 3)


def test_a_listed_caller_is_refused_beyond_its_budget(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    push_as(quota, clock, MARKETING)
    push_as(quota, clock, MARKETING)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve(quota.policy.pool_of(MARKETING))
    assert refused.value.code == "caller_budget_exhausted"
    assert refused.value.status == 429
    assert refused.value.retry_after == 12 * 3600 - 4  # to midnight Asia/Shanghai
    assert f"{MARKETING} has a budget of 2 pushes a day (QUOTA_BUDGETS)" in refused.value.detail
    # The refusal wrote nothing: the day still counts two pushes.
    assert counter(ddb, "taken#" + TODAY) == 2
    assert counter(ddb, pool_taken_attribute(TODAY, MARKETING)) == 2
    push_as(quota, clock, ORDERS)  # others are not affected


def test_unlisted_callers_share_the_rest_and_cannot_take_a_reserved_share(
    ddb: Any, clock: Clock
) -> None:
    quota = store(ddb, clock)
    for caller in (ORDERS, "eventbridge:com.example.billing", ORDERS):
        push_as(quota, clock, caller)
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve(quota.policy.pool_of("arn:aws:iam::123456789012:user/someone"))
    assert refused.value.code == "caller_budget_exhausted"
    assert "the callers not listed in QUOTA_BUDGETS share 3 pushes a day" in refused.value.detail
    # Marketing's and ops' shares are still all theirs.
    push_as(quota, clock, MARKETING)
    push_as(quota, clock, MARKETING)
    push_as(quota, clock, OPS_SESSION)
    with pytest.raises(QuotaExceeded) as full:
        quota.reserve(quota.policy.pool_of(OPS))
    assert full.value.code == "daily_quota_exhausted"  # the day's own limit comes first


def test_a_budget_refusal_comes_before_the_interval(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, shares={MARKETING: 1})
    quota.reserve(quota.policy.pool_of(MARKETING))
    clock.advance(0.1)  # within the interval: still a budget refusal, no wait suggested
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve(quota.policy.pool_of(MARKETING))
    assert refused.value.code == "caller_budget_exhausted"


def test_a_shared_pool_without_a_share_is_refused_without_a_write(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=3, shares={MARKETING: 3})
    with pytest.raises(QuotaExceeded) as refused:
        quota.reserve(quota.policy.pool_of(ORDERS))
    assert refused.value.code == "caller_budget_exhausted"
    assert "share 0 pushes a day" in refused.value.detail
    assert item(ddb) == {}
    with pytest.raises(QuotaExceeded):
        quota.hold(TOMORROW, quota.policy.pool_of(ORDERS))
    assert item(ddb) == {}


def test_a_released_slot_goes_back_to_its_pool(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    reservation = quota.reserve(quota.policy.pool_of(OPS))
    assert reservation.pool == OPS
    quota.release(reservation)
    assert counter(ddb, pool_taken_attribute(TODAY, OPS)) == 0
    clock.advance(2)
    quota.reserve(quota.policy.pool_of(OPS))  # the budget of one is free again


def test_a_budget_renews_at_midnight(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    push_as(quota, clock, OPS)
    clock.advance(12 * 3600)
    assert quota.reserve(quota.policy.pool_of(OPS)).day == TOMORROW


def test_scheduled_pushes_count_against_the_budget_of_their_day(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    pool = quota.policy.pool_of(MARKETING)
    held = quota.hold(TOMORROW, pool)
    assert held.pool == MARKETING
    quota.hold(TOMORROW, pool)
    with pytest.raises(QuotaExceeded) as refused:
        quota.hold(TOMORROW, pool)
    assert refused.value.code == "caller_budget_exhausted"
    assert TOMORROW in refused.value.detail
    push_as(quota, clock, MARKETING)  # today's budget is untouched
    assert quota.unhold(TOMORROW, MARKETING)
    assert counter(ddb, pool_taken_attribute(TOMORROW, MARKETING)) == 1
    assert counter(ddb, pool_held_attribute(TOMORROW, MARKETING)) == 1
    quota.hold(TOMORROW, pool)  # the cancelled slot is free again


def test_a_full_day_is_still_schedule_day_full(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=2, shares={MARKETING: 1})
    quota.hold(TOMORROW, quota.policy.pool_of(ORDERS))
    quota.hold(TOMORROW, quota.policy.pool_of(MARKETING))
    with pytest.raises(ScheduleDayFull):
        quota.hold(TOMORROW, quota.policy.pool_of(MARKETING))


def test_firing_on_its_day_uses_the_held_slot_of_its_pool(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    pool = quota.policy.pool_of(OPS)
    quota.hold(TODAY, pool)
    fired = quota.fire(TODAY, OPS, pool)
    assert fired.pool == OPS
    assert counter(ddb, pool_taken_attribute(TODAY, OPS)) == 1
    assert counter(ddb, pool_held_attribute(TODAY, OPS)) == 0
    snap = quota.snapshot(caller=OPS_SESSION).to_dict()["caller"]
    assert snap == {"name": OPS, "budget": 1, "used": 1, "scheduled": 0, "remaining": 0}


def test_a_late_fire_moves_its_slot_to_today_in_the_callers_pool(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    quota.hold(TODAY, quota.policy.pool_of(MARKETING))
    clock.advance(13 * 3600)  # 01:00 the next day: a late retry
    fired = quota.fire(TODAY, MARKETING, quota.policy.pool_of(MARKETING))
    assert (fired.day, fired.pool) == (TOMORROW, MARKETING)
    assert counter(ddb, pool_taken_attribute(TODAY, MARKETING)) == 0
    assert counter(ddb, pool_held_attribute(TODAY, MARKETING)) == 0
    assert counter(ddb, pool_taken_attribute(TOMORROW, MARKETING)) == 1


def test_a_late_fire_over_the_budget_is_schedule_missed(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    quota.hold(TODAY, quota.policy.pool_of(OPS))
    clock.advance(13 * 3600)
    push_as(quota, clock, OPS)  # today's budget of one is spent
    with pytest.raises(QuotaExceeded) as refused:
        quota.fire(TODAY, OPS, quota.policy.pool_of(OPS))
    assert refused.value.code == "schedule_missed"
    assert "caller's budget" in refused.value.detail


def test_a_late_fire_from_a_pool_without_a_share_is_schedule_missed(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock, limit=3, shares={MARKETING: 1})
    quota.hold(TODAY, quota.policy.pool_of(ORDERS))
    clock.advance(13 * 3600)
    no_share = store(ddb, clock, limit=3, shares={MARKETING: 3})  # budgets changed meanwhile
    with pytest.raises(QuotaExceeded) as refused:
        no_share.fire(TODAY, "shared", no_share.policy.pool_of(ORDERS))
    assert refused.value.code == "schedule_missed"


def test_the_caller_view_of_the_quota(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    push_as(quota, clock, ORDERS)
    quota.hold(TODAY, quota.policy.pool_of(ORDERS))
    snap = quota.snapshot(caller=ORDERS).to_dict()
    assert snap["caller"] == {
        "name": "shared",
        "budget": 3,
        "used": 1,
        "scheduled": 1,
        "remaining": 1,
    }
    assert (snap["used"], snap["scheduled"], snap["remaining"]) == (1, 1, 4)
    mine = quota.snapshot(TOMORROW, caller=MARKETING).to_dict()["caller"]
    assert mine == {"name": MARKETING, "budget": 2, "used": 0, "scheduled": 0, "remaining": 2}
    assert "caller" not in quota.snapshot().to_dict()  # only when asked for a caller


def test_without_budgets_the_caller_shares_the_whole_day(ddb: Any, clock: Clock) -> None:
    policy = QuotaPolicy(limit=5, interval_ms=1000, margin_ms=50, calendar=QuotaCalendar(ZONE))
    quota = QuotaStore(ddb, TABLE, "1400000000", policy, clock=clock)
    assert policy.pool_of(MARKETING) is None
    quota.reserve(None)
    assert not any(name.startswith("pool_") for name in item(ddb))
    snap = quota.snapshot(caller=MARKETING).to_dict()["caller"]
    assert snap == {"name": "shared", "budget": 5, "used": 1, "scheduled": 0, "remaining": 4}


def test_counters_of_days_before_yesterday_are_pruned(ddb: Any, clock: Clock) -> None:
    quota = store(ddb, clock)
    quota.hold("2026-11-30", quota.policy.pool_of(MARKETING))  # a future day: kept
    push_as(quota, clock, MARKETING)
    clock.advance(86400)
    push_as(quota, clock, OPS)  # yesterday (26th) is kept: a late retry may still need it
    assert pool_taken_attribute(TODAY, MARKETING) in item(ddb)
    clock.advance(86400)
    push_as(quota, clock, ORDERS)
    names = set(item(ddb))
    assert not {n for n in names if TODAY in n}, names  # the 26th is gone
    assert pool_taken_attribute(TOMORROW, OPS) in names  # the 27th is yesterday now
    assert pool_held_attribute("2026-11-30", MARKETING) in names
    assert "held#2026-11-30" in names

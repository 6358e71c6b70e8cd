"""Caller budgets under contention on dynalite (docs/architecture.md §15).

Several processes push as fast as they can, each in turn as two listed callers and two unlisted
ones, across a midnight in QUOTA_TIMEZONE, through the real service, quota store and upstream
client into the sandbox. On each day: every listed caller stays within its budget, the unlisted
callers together within the shared rest, everybody within the limit, and no two pushes reach
upstream within the interval. The counts per caller and day are printed.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import boto3
import pytest

from push_common.quota_pools import pool_held_attribute, pool_taken_attribute
from push_common.settings import SHARED_POOL
from tests.proofs.reliability.contention_worker import (
    APP,
    TABLE,
    WorkerPlan,
    create_tables,
    run_across_midnight,
    run_budget_worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZONE = "Asia/Shanghai"
LIMIT = 6
INTERVAL_MS = 150
WORKERS = 3
RUN_SECONDS = 7.0
MARKETING = "arn:aws:iam::123456789012:role/marketing"
OPS = "arn:aws:iam::123456789012:role/ops"
BUDGETS = {MARKETING: 2, OPS: 1}  # the shared rest: 3
UNLISTED = ("arn:aws:iam::123456789012:role/orders", "eventbridge:com.example.billing")


def test_budgets_hold_for_every_caller_across_midnight(dynalite_url: str) -> None:
    create_tables(dynalite_url)
    callers = (MARKETING, OPS, *UNLISTED)
    plans = [
        WorkerPlan(
            dynamodb_url=dynalite_url,
            limit=LIMIT,
            interval_ms=INTERVAL_MS,
            timezone=ZONE,
            budgets=BUDGETS,
            # each worker starts with another caller, so all of them contend at once
            callers=callers[n:] + callers[:n],
        )
        for n in range(WORKERS)
    ]
    sim_start = datetime(2026, 11, 26, 23, 59, 56, tzinfo=ZoneInfo(ZONE))
    run = run_across_midnight(run_budget_worker, plans, sim_start=sim_start, seconds=RUN_SECONDS)
    outcomes, pushes, upstream_codes = run.outcomes, run.pushes, run.upstream_codes
    ddb = boto3.client("dynamodb", endpoint_url=dynalite_url)
    item = ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"quota#{APP}"}}, ConsistentRead=True)

    per_caller: dict[str, Counter[str]] = defaultdict(Counter)  # day → caller → pushes
    for key, n in outcomes.items():
        if key.startswith("accepted|"):
            _, caller, day = key.split("|")
            per_caller[day][caller] += n
    refused = {k: v for k, v in outcomes.items() if not k.startswith("accepted|")}
    times = sorted(float(p["at"]) for p in pushes)
    gaps_ms = [round((b - a) * 1000, 1) for a, b in itertools.pairwise(times)]
    refusals = " ".join(f"{code}={n}" for code, n in sorted(refused.items()))
    print(
        f"\nbudget-contention: requests={sum(outcomes.values())} upstream_pushes={len(pushes)} "
        f"min_gap_ms={min(gaps_ms)} {refusals} upstream_90024={upstream_codes[90024]} "
        f"upstream_90047={upstream_codes[90047]}"
    )
    for day in sorted(per_caller):
        counts = per_caller[day]
        unlisted = sum(counts[c] for c in UNLISTED)
        print(
            f"budget-contention: day={day} marketing={counts[MARKETING]}/{BUDGETS[MARKETING]} "
            f"ops={counts[OPS]}/{BUDGETS[OPS]} shared={unlisted}/{LIMIT - sum(BUDGETS.values())} "
            + " ".join(f"{c.rsplit('/', 1)[-1].rsplit('.', 1)[-1]}={counts[c]}" for c in UNLISTED)
            + f" total={counts.total()}/{LIMIT}"
        )

    assert sum(outcomes.values()) >= 150, "not enough contention to prove anything"
    assert sorted(per_caller) == ["2026-11-26", "2026-11-27"], "the run must cross midnight"
    assert sum(c.total() for c in per_caller.values()) == len(pushes)
    for day, counts in per_caller.items():
        assert counts[MARKETING] <= BUDGETS[MARKETING]
        assert counts[OPS] <= BUDGETS[OPS]
        assert sum(counts[c] for c in UNLISTED) <= LIMIT - sum(BUDGETS.values())
        assert counts.total() <= LIMIT
        # Saturated: every share is used up on each day (so the bounds above are tight).
        assert counts.total() == LIMIT, (day, dict(counts))
        # The quota item's pool counters agree with what reached Tencent.
        attrs = item["Item"]
        for pool_name, used in (
            (MARKETING, counts[MARKETING]),
            (OPS, counts[OPS]),
            (SHARED_POOL, sum(counts[c] for c in UNLISTED)),
        ):
            assert int(attrs[pool_taken_attribute(day, pool_name)]["N"]) == used, (day, pool_name)
            assert int(attrs.get(pool_held_attribute(day, pool_name), {"N": "0"})["N"]) == 0
    assert min(gaps_ms) > INTERVAL_MS
    assert upstream_codes[90024] == 0 and upstream_codes[90047] == 0
    assert "caller_budget_exhausted" in refused
    assert set(refused) <= {"caller_budget_exhausted", "daily_quota_exhausted", "push_interval"}

"""Quota under contention on dynalite (serialised conditional writes, unlike moto).

Several processes push as fast as they can across a midnight in QUOTA_TIMEZONE, through the real
service, quota store and upstream client, into the sandbox that enforces Tencent's own limits.
Nothing may exceed the daily limit, no two pushes may reach upstream within the interval, and the
sandbox must never have had to answer 90024 / 90047.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.proofs.reliability.contention_worker import (
    WorkerPlan,
    create_tables,
    run_across_midnight,
    run_worker,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZONE = "Asia/Shanghai"
LIMIT = 4
INTERVAL_MS = 200
WORKERS = 3
RUN_SECONDS = 6.0


def test_concurrent_pushes_across_midnight_never_break_the_quota(dynalite_url: str) -> None:
    create_tables(dynalite_url)
    plan = WorkerPlan(
        dynamodb_url=dynalite_url, limit=LIMIT, interval_ms=INTERVAL_MS, timezone=ZONE
    )
    # Simulated clock shared by every process: midnight falls mid-run.
    sim_start = datetime(2026, 11, 26, 23, 59, 57, tzinfo=ZoneInfo(ZONE))
    run = run_across_midnight(
        run_worker, [plan] * WORKERS, sim_start=sim_start, seconds=RUN_SECONDS
    )
    outcomes, pushes, upstream_codes = run.outcomes, run.pushes, run.upstream_codes

    times = sorted(float(p["at"]) for p in pushes)
    gaps_ms = [round((b - a) * 1000, 1) for a, b in itertools.pairwise(times)]
    per_day = Counter(datetime.fromtimestamp(t, ZoneInfo(ZONE)).date().isoformat() for t in times)
    print(
        f"\nquota-contention: requests={sum(outcomes.values())} accepted={outcomes['accepted']} "
        f"refused={ {k: v for k, v in outcomes.items() if k != 'accepted'} } "
        f"per_day={dict(per_day)} min_gap_ms={min(gaps_ms) if gaps_ms else None} "
        f"upstream_codes={dict(upstream_codes)}"
    )
    assert sum(outcomes.values()) >= 200, "not enough contention to prove anything"
    assert outcomes["accepted"] == len(pushes)
    assert len(per_day) == 2, "the run must cross midnight"
    assert all(count == LIMIT for count in per_day.values())
    assert min(gaps_ms) > INTERVAL_MS
    assert upstream_codes[90024] == 0 and upstream_codes[90047] == 0
    assert set(outcomes) <= {"accepted", "push_interval", "daily_quota_exhausted"}

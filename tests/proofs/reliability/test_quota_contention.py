"""Quota under contention on dynalite (serialised conditional writes, unlike moto).

Several processes push as fast as they can across a midnight in QUOTA_TIMEZONE, through the real
service, quota store and upstream client, into the sandbox that enforces Tencent's own limits.
Nothing may exceed the daily limit, no two pushes may reach upstream within the interval, and the
sandbox must never have had to answer 90024 / 90047.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.proofs.reliability.contention_worker import (
    WorkerPlan,
    contention_sandbox,
    create_tables,
    run_worker,
    warm_up,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZONE = "Asia/Shanghai"
LIMIT = 4
INTERVAL_MS = 200
WORKERS = 3
RUN_SECONDS = 6.0


def test_concurrent_pushes_across_midnight_never_break_the_quota(dynalite_url: str) -> None:
    create_tables(dynalite_url)
    clock_offset = [0.0]  # set once the workers are warm; read by the sandbox's clock
    sandbox = contention_sandbox(
        limit=LIMIT, interval_ms=INTERVAL_MS, timezone=ZONE, clock_offset=clock_offset
    )
    sandbox.start()
    try:
        with mp.get_context("spawn").Pool(WORKERS) as pool:
            pool.map(warm_up, range(WORKERS))  # imports done before the clock starts
            real_start = time.time() + 0.3
            # Simulated clock shared by every process: midnight falls mid-run.
            sim_start = datetime(2026, 11, 26, 23, 59, 57, tzinfo=ZoneInfo(ZONE)).timestamp()
            clock_offset[0] = sim_start - real_start
            plan = WorkerPlan(
                dynamodb_url=dynalite_url,
                upstream_url=sandbox.url,
                clock_offset=clock_offset[0],
                start_at=real_start,
                stop_at=real_start + RUN_SECONDS,
                limit=LIMIT,
                interval_ms=INTERVAL_MS,
                timezone=ZONE,
            )
            outcomes = sum(pool.map(run_worker, [plan] * WORKERS), Counter[str]())
        pushes = sandbox.pushes()
        upstream_codes = Counter(call["error_code"] for call in sandbox.calls())
    finally:
        sandbox.stop()

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

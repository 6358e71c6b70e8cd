"""Simultaneous events wait for the quota interval instead of failing (docs/architecture.md §4).

An event invocation has ~30 s, not a synchronous caller's ~2 s: 15 `Push Requested` events put
at once, with the real 1 s interval on both sides (gateway and sandbox), must become 15 pushes
that reach Tencent more than 1 s apart, none refused and none left for a retry or a DLQ.
"""

from __future__ import annotations

import itertools
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.support.stack_client import StackFactory, request

pytestmark = pytest.mark.integration

EVENTS = 15
# EventBridge's default retry policy tries far more often; on a quiet machine none is needed (each
# event waits up to ~26 s for its slot), on a loaded one the last events may need one.
MAX_DELIVERIES = 3


def test_fifteen_simultaneous_events_become_fifteen_spaced_pushes(
    stack_factory: StackFactory,
) -> None:
    stack = stack_factory(PUSH_MIN_INTERVAL_MS="1000", SANDBOX_MIN_INTERVAL_MS="1000")
    run = uuid.uuid4().hex[:8]

    def put(n: int) -> dict[str, Any]:
        """Deliver one event; a retryable failure is delivered again, as the rule's retry
        policy would (the same idempotency key), so only a DLQ-bound failure stays one."""
        detail = {
            "idempotency_key": f"{run}-{n}",
            "audience": {"tags": {"any": ["vip"]}},
            "message": {"text": f"event {n}"},
        }
        entry = {"Source": "orders-service", "DetailType": "Push Requested",
                 "Detail": json.dumps(detail)}  # fmt: skip
        deliveries = 0
        while True:
            deliveries += 1
            reply = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]}, timeout=120)
            assert reply.status == 200, reply.body
            result: dict[str, Any] = reply.json()["Entries"][0]
            if "DeliveryError" not in result or deliveries == MAX_DELIVERIES:
                return {**result, "deliveries": deliveries}

    with ThreadPoolExecutor(max_workers=EVENTS) as pool:
        results = list(pool.map(put, range(EVENTS)))

    assert stack.sandbox_url is not None
    pushes = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()["pushes"]
    calls = request("GET", f"{stack.sandbox_url}/_sandbox/calls").json()["calls"]
    events = request("GET", f"{stack.url}/_local/events").json()["events"]
    at = sorted(p["at"] for p in pushes)
    gaps = [b - a for a, b in itertools.pairwise(at)]
    failed = [r for r in results if "DeliveryError" in r]  # retries used up: DLQ
    redelivered = sum(r["deliveries"] - 1 for r in results)
    sent = [e for e in events if e["detail-type"] == "Push Sent"]
    refused = [c for c in calls if c["command"] == "im_push" and c["error_code"] != 0]
    print(
        f"\n{EVENTS} simultaneous events: {len(pushes)} pushes, min gap upstream "
        f"{min(gaps):.3f} s, {len(refused)} answered 90024 (no task; retried), "
        f"{redelivered} redelivered, "
        f"{len(failed)} dead-lettered, {len(sent)} Push Sent"
    )
    assert len(pushes) == EVENTS
    assert min(gaps) > 1.0
    # Our reservation time is not the send time: on a loaded machine a push can reach Tencent
    # late and the next one early. Tencent then answers 90024, which created no task; the
    # gateway waits and tries once more, or the event is redelivered. Nothing else may appear.
    assert {c["error_code"] for c in refused} <= {90024}
    assert failed == []
    assert len(sent) == EVENTS

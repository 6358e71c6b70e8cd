"""The shared per-second gate (docs/architecture.md §6.1) over DynamoDB (moto)."""

from __future__ import annotations

import boto3
import pytest

from push_common.errors import RateLimited
from push_common.rate_gate import RateGate
from tests.support.handler_stubs import REGION, TABLE_NAMES, aws

__all__ = ["aws"]


def gate(clock: list[int], key: str) -> RateGate:
    ddb = boto3.client("dynamodb", region_name=REGION)
    return RateGate(ddb, TABLE_NAMES["QuotaTable"], key, 1000, now_ms=lambda: clock[0])


def test_one_pass_per_interval_and_the_wait_is_told(aws: None) -> None:
    clock = [1_000_000]
    g = gate(clock, "revoke#1")
    assert g.try_pass() == 0
    clock[0] += 300
    assert g.try_pass() == 700
    clock[0] += 700
    assert g.try_pass() == 0
    other = gate(clock, "statistics#1")  # another limit is another item
    assert other.try_pass() == 0


def test_wait_pass_sleeps_within_the_budget_else_429(aws: None) -> None:
    clock = [2_000_000]
    g = gate(clock, "revoke#2")
    g.try_pass()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += int(seconds * 1000) + 1

    g.wait_pass(max_wait_seconds=2, code="recall_rate_limited", what="x", sleep=sleep)
    assert len(slept) == 1 and 1.0 <= slept[0] < 1.1
    with pytest.raises(RateLimited) as caught:
        g.wait_pass(max_wait_seconds=0, code="recall_rate_limited", what="x", sleep=sleep)
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        429,
        "recall_rate_limited",
        1,
    )

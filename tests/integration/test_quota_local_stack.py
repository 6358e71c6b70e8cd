"""The push quota on the local stack, as issue #2 states it: the 4th push of a 3-a-day app is a
429 with Retry-After, and two pushes sent at once reach upstream more than the interval apart."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.stack_client import Reply, StackFactory, StackProcess, request

pytestmark = pytest.mark.integration

PUSH = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}


def push(stack: StackProcess) -> Reply:
    return request("POST", f"{stack.url}/v1/pushes", PUSH)


def test_fourth_push_of_a_three_push_day_is_refused(stack_factory: StackFactory) -> None:
    stack = stack_factory(PUSH_DAILY_LIMIT="3", PUSH_MIN_INTERVAL_MS="1000")

    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda _: push(stack), range(2)))
    third, fourth = push(stack), push(stack)

    assert stack.sandbox_url is not None
    pushes = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()["pushes"]
    times = sorted(p["at"] for p in pushes)
    assert [r.status for r in together] == [202, 202]
    assert third.status == 202
    assert (fourth.status, fourth.json()["code"]) == (429, "daily_quota_exhausted")
    assert int(fourth.headers["retry-after"]) > 0
    assert len(pushes) == 3
    assert times[1] - times[0] > 1.0  # the concurrent pair still reached upstream > 1 s apart
    quota = request("GET", f"{stack.url}/v1/quota").json()
    assert (quota["used"], quota["remaining"]) == (3, 0)

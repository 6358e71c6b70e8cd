"""Push interval, daily quota in the app's timezone, day rollover, MsgRandom de-dup."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.local_stack.sandbox.helpers import Client, FakeClock, push_body

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def seconds_to_next_midnight(now: float) -> float:
    local = datetime.fromtimestamp(now, SHANGHAI)
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.timestamp() - now


def test_task_id_format(client: Client) -> None:
    task_id = client.push(push_body(77))["TaskId"]
    assert re.fullmatch(r"1400000000_\d+_\d+_77", task_id)
    assert task_id.split("_")[2] == str(int(client.clock()))


def test_push_within_interval_is_90024(client: Client) -> None:
    assert client.push(push_body(1))["ErrorCode"] == 0
    client.clock.advance(1.0)
    assert client.code("im_push", push_body(2)) == 90024


def test_push_just_over_interval_passes(client: Client) -> None:
    assert client.push(push_body(1))["ErrorCode"] == 0
    client.clock.advance(1.001)
    assert client.code("im_push", push_body(2)) == 0


def test_refused_push_does_not_restart_the_interval(client: Client) -> None:
    client.push(push_body(1))
    client.clock.advance(0.6)
    assert client.code("im_push", push_body(2)) == 90024
    client.clock.advance(0.6)
    assert client.code("im_push", push_body(3)) == 0


def test_invalid_push_uses_no_quota(client: Client) -> None:
    assert client.code("im_push", push_body(MsgLifeTime=-1)) == 90026
    assert client.code("im_push", push_body()) == 0
    assert client.sandbox.state()["quota_used_today"] == 1


def day_start(clock: FakeClock) -> None:
    """Move to 00:00:10 local time so that 101 pushes fit into one day."""
    clock.advance(seconds_to_next_midnight(clock()) + 10)


def test_daily_limit_then_rollover(client: Client) -> None:
    day_start(client.clock)
    for n in range(100):
        assert client.push(push_body(n))["ErrorCode"] == 0
    assert client.push(push_body(100))["ErrorCode"] == 90047
    assert client.sandbox.state()["quota_used_today"] == 100
    # Given the control API moves the clock to the next day
    status, _ = client.control("POST", "clock", {"advance_seconds": 86400})
    assert status == 200
    assert client.code("im_push", push_body(101)) == 0
    assert client.sandbox.state()["quota_used_today"] == 1
    assert len(client.sandbox.pushes()) == 101


def test_interval_holds_across_midnight(client: Client) -> None:
    client.clock.advance(seconds_to_next_midnight(client.clock()) - 0.5)
    assert client.code("im_push", push_body(1)) == 0
    client.clock.advance(0.7)
    assert client.code("im_push", push_body(2)) == 90024


def test_quota_day_follows_the_timezone(client: Client) -> None:
    # 23:59:59 in Shanghai is still "today" there, whatever UTC says
    client.clock.advance(seconds_to_next_midnight(client.clock()) - 1)
    expected = datetime.fromtimestamp(client.clock(), SHANGHAI).date().isoformat()
    assert client.sandbox.state()["quota_day"] == expected


def test_repeated_msgrandom_returns_same_task(client: Client) -> None:
    first = client.push(push_body(42))
    again = client.call("im_push", push_body(42))  # no wait: de-dup comes before the interval
    assert again == first
    assert len(client.sandbox.pushes()) == 1
    assert client.sandbox.dedup_hits == 1
    assert client.sandbox.state()["quota_used_today"] == 1


def test_dedup_answers_even_when_quota_is_gone(client: Client) -> None:
    day_start(client.clock)
    first = client.push(push_body(0))
    client.sandbox.core.dedup.window_seconds = 7 * 86400  # the lenient reading, for this test
    try:
        for n in range(1, 100):
            client.push(push_body(n))
        assert client.call("im_push", push_body(0))["TaskId"] == first["TaskId"]
    finally:
        client.sandbox.core.dedup.window_seconds = 1.0


def test_dedup_window_is_one_second_by_default(client: Client) -> None:
    """The strict reading of Tencent's docs: a repeated MsgRandom is a new push after 1 s."""
    first = client.push(push_body(9))["TaskId"]
    client.clock.advance(0.5)
    assert client.call("im_push", push_body(9))["TaskId"] == first
    client.clock.advance(1.0)
    later = client.push(push_body(9))
    assert later["ErrorCode"] == 0 and later["TaskId"] != first
    assert client.sandbox.dedup_hits == 1

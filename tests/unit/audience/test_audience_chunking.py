"""≤ 100 accounts per upstream call, paced per command, per-account outcome of writes."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import pytest

from push_common.audience.chunking import Pacer, read_chunked, write_chunked
from push_common.errors import DependencyUnavailable, UpstreamTimeout
from tests.support.fake_tim import FakeTim, FakeUpstreamError


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def pacer(clock: ManualClock) -> Pacer:
    return Pacer(100.0, clock=clock, sleep=clock.sleep)


def accounts(n: int) -> list[str]:
    return [f"user{i:03d}" for i in range(n)]


def tag_entries(names: list[str]) -> list[tuple[str, dict[str, Any]]]:
    return [(a, {"To_Account": a, "Tags": ["vip"]}) for a in names]


def fail_chunk_with(error: Exception, marker: str) -> Any:
    def answer(body: Mapping[str, Any]) -> dict[str, Any]:
        if any(e["To_Account"] == marker for e in body["UserTags"]):
            raise error
        return {}

    return answer


def test_250_accounts_make_three_calls_of_100_100_50(pacer: Pacer) -> None:
    fake = FakeTim()
    outcome = write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(250)), pacer)
    assert [len(body["UserTags"]) for _, body in fake.calls] == [100, 100, 50]
    assert outcome.succeeded == accounts(250)
    assert outcome.failed == []


def test_chunks_keep_the_request_order(pacer: Pacer) -> None:
    fake = FakeTim()
    write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(150)), pacer)
    sent = [e["To_Account"] for _, body in fake.calls for e in body["UserTags"]]
    assert sent == accounts(150)


def test_failed_middle_chunk_reports_exactly_its_accounts(pacer: Pacer) -> None:
    # Given the second chunk (user100..user199) is rejected with 90018
    error = FakeUpstreamError(90018, "too many accounts")
    fake = FakeTim({"im_add_tag": fail_chunk_with(error, "user150")})
    # When 250 accounts are tagged
    outcome = write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(250)), pacer)
    # Then the other two chunks applied and exactly the middle chunk is reported failed
    assert outcome.succeeded == accounts(100) + accounts(250)[200:]
    assert [f["account"] for f in outcome.failed] == accounts(200)[100:]
    assert outcome.failed[0] == {
        "account": "user100",
        "code": "upstream_rejected",
        "upstream_code": 90018,
        "detail": "upstream error 90018: too many accounts",
    }
    assert len(fake.calls) == 3


def test_transport_failure_stops_later_chunks(pacer: Pacer) -> None:
    # Given upstream stops answering at the second chunk
    fake = FakeTim({"im_add_tag": fail_chunk_with(UpstreamTimeout("no answer"), "user150")})
    outcome = write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(250)), pacer)
    # Then the third chunk is not attempted, and both are reported failed without upstream code
    assert len(fake.calls) == 2
    assert outcome.succeeded == accounts(100)
    assert len(outcome.failed) == 150
    assert {(f["code"], f["upstream_code"]) for f in outcome.failed} == {("upstream_timeout", None)}
    assert outcome.failed[-1]["detail"] == "not attempted after: no answer"


def test_nothing_applied_raises_the_first_error(pacer: Pacer) -> None:
    error = FakeUpstreamError(90045, "feature off")
    fake = FakeTim({"im_add_tag": fail_chunk_with(error, "user000")})
    with pytest.raises(FakeUpstreamError) as caught:
        write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(3)), pacer)
    assert caught.value.error_code == 90045


def test_unreachable_upstream_raises_its_503(pacer: Pacer) -> None:
    error = DependencyUnavailable("unreachable", retry_after=1)
    fake = FakeTim({"im_add_tag": fail_chunk_with(error, "user000")})
    with pytest.raises(DependencyUnavailable):
        write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(250)), pacer)
    assert len(fake.calls) == 1


def test_per_account_error_list_is_reported(pacer: Pacer) -> None:
    # Given an upstream variant that answers OK with a per-account ErrorList
    error_list = [{"To_Account": "user001", "ErrorCode": 90035, "ErrorInfo": "other type"}]
    fake = FakeTim({"im_add_tag": lambda _b: {"ErrorList": error_list}})
    outcome = write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(3)), pacer)
    assert outcome.succeeded == ["user000", "user002"]
    assert [(f["account"], f["upstream_code"]) for f in outcome.failed] == [("user001", 90035)]


def test_reads_are_chunked_and_fail_whole(pacer: Pacer) -> None:
    fake = FakeTim({"im_get_tag": lambda body: {"UserTags": []}})
    list(read_chunked(fake, "im_get_tag", accounts(201), pacer))
    assert [len(body["To_Account"]) for _, body in fake.calls] == [100, 100, 1]


def test_pacer_spaces_calls_of_one_command(clock: ManualClock, pacer: Pacer) -> None:
    for _ in range(3):
        pacer.wait("im_add_tag")
    assert clock.sleeps == pytest.approx([0.01, 0.01])


def test_pacer_keeps_commands_independent(clock: ManualClock, pacer: Pacer) -> None:
    pacer.wait("im_add_tag")
    pacer.wait("im_get_tag")
    assert clock.sleeps == []


def test_pacer_does_not_sleep_when_time_has_passed(clock: ManualClock, pacer: Pacer) -> None:
    pacer.wait("im_add_tag")
    clock.now += 0.02
    pacer.wait("im_add_tag")
    assert clock.sleeps == []


def test_default_pace_stays_under_100_calls_per_second(clock: ManualClock) -> None:
    # Given the default pacer and 1000 accounts (10 calls), recording when each call is made
    pacer = Pacer(clock=clock, sleep=clock.sleep)
    stamps: list[float] = []

    def answer(_body: Mapping[str, Any]) -> dict[str, Any]:
        stamps.append(clock.now)
        return {}

    fake = FakeTim({"im_add_tag": answer})
    write_chunked(fake, "im_add_tag", "UserTags", tag_entries(accounts(1000)), pacer)
    # Then consecutive calls are at least 1/100 s apart
    gaps = [later - earlier for earlier, later in itertools.pairwise(stamps)]
    assert len(stamps) == 10
    assert min(gaps) >= 1 / 100

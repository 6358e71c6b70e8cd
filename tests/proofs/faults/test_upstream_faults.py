"""Tencent IM misbehaving (sandbox faults): each fault's documented answer and quota effect.

Quota policy (docs/decisions.md §3-§4, push_common.upstream_codes): a definite rejection that
created no task releases the slot; an unknown outcome (timeout, internal error, HTTP error,
garbage) keeps it and is never sent again; 90047 marks the day exhausted. `used` below is always
read back through GET /v1/quota.
"""

from __future__ import annotations

import socket
import time

import pytest

from push_common.credentials import AdminCredentials
from tests.proofs.faults.conftest import INTERVAL_MS, LogRecords
from tests.proofs.faults.harness import Gateway


def wait_for_calls(gateway: Gateway, count: int, timeout: float = 3.0) -> None:
    end = time.monotonic() + timeout
    while len(gateway.im_push_calls()) < count and time.monotonic() < end:
        time.sleep(0.05)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_upstream_read_timeout_answers_504_keeps_the_slot_and_never_resends(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "3.1")
    gateway.sandbox.add_fault("delay", command="im_push", delay_seconds=3.5)

    answer = gateway.push(key="timeout-1")

    assert (answer.status, answer.code) == (504, "outcome_unknown")
    assert answer.body["retryable"] is False and answer.body["push_id"]
    wait_for_calls(gateway, 1)  # the slow sandbox still processes the one request it got
    assert len(gateway.im_push_calls()) == 1
    assert gateway.quota()["used"] == 1  # unknown outcome: the slot stays taken
    # The caller retries with the same key: the answer is replayed, nothing is sent.
    time.sleep(1.2)  # past Tencent's 1 s MsgRandom window: a re-send would be a 2nd broadcast
    again = gateway.push(key="timeout-1")
    assert (again.status, again.body) == (504, answer.body)
    assert len(gateway.im_push_calls()) == 1
    assert len(gateway.sandbox.pushes()) == 1
    assert gateway.quota()["used"] == 1


def test_connection_refused_answers_503_upstream_unavailable_after_retries(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch, gateway_logs: LogRecords
) -> None:
    monkeypatch.setenv("TIM_BASE_URL", f"http://127.0.0.1:{closed_port()}")

    answer = gateway.push(key="refused-1")

    assert (answer.status, answer.code) == (503, "upstream_unavailable")
    assert answer.body["retryable"] is True
    assert int(answer.headers["retry-after"]) >= 1
    failed = gateway_logs.messages("tim attempt failed")
    assert [line["attempt"] for line in failed] == [1, 2, 3]
    assert all("usersig=REDACTED&" in line["url"] for line in failed)


def test_connection_refused_gives_the_quota_slot_back(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIM_BASE_URL", f"http://127.0.0.1:{closed_port()}")
    assert gateway.push().status == 503
    monkeypatch.setenv("TIM_BASE_URL", gateway.sandbox.url)
    assert gateway.quota()["used"] == 0


@pytest.mark.parametrize("kind", ["http_status", "non_json"])
def test_http_502_or_non_json_body_is_outcome_unknown_never_retried(
    gateway: Gateway, kind: str
) -> None:
    gateway.sandbox.add_fault(kind, command="im_push", times=3, http_status=502)

    answer = gateway.push(key=f"{kind}-1")
    again = gateway.push(key=f"{kind}-1")

    assert (answer.status, answer.code) == (502, "outcome_unknown")
    assert (again.status, again.body) == (502, answer.body)
    assert [c.get("fault") for c in gateway.im_push_calls()] == [kind]
    assert gateway.quota()["used"] == 1  # kept: the client cannot tell whether a task exists


@pytest.mark.parametrize("kind", ["accept_then_http_status", "accept_then_non_json"])
def test_push_processed_then_answered_badly_is_broadcast_once(gateway: Gateway, kind: str) -> None:
    gateway.sandbox.add_fault(kind, command="im_push", http_status=502)

    answer = gateway.push(key=f"{kind}-2")
    time.sleep(1.2)
    again = gateway.push(key=f"{kind}-2")

    assert (answer.status, answer.code, again.status) == (502, "outcome_unknown", 502)
    assert len(gateway.im_push_calls()) == 1
    assert len(gateway.sandbox.pushes()) == 1
    assert gateway.quota()["used"] == 1


def test_91000_is_outcome_unknown_one_call_and_the_slot_kept(gateway: Gateway) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=91000)

    answer = gateway.push(key="internal-1")

    assert (answer.status, answer.code, answer.body["upstream_code"]) == (
        502,
        "outcome_unknown",
        91000,
    )
    assert [c["error_code"] for c in gateway.im_push_calls()] == [91000]
    assert gateway.quota()["used"] == 1


def test_70001_then_success_re_reads_the_secret_and_mints_a_fresh_usersig(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from push_common import usersig

    minted: list[str] = []
    mint = usersig.mint_usersig

    def counting_mint(creds: AdminCredentials, *, expire_seconds: int) -> str:
        minted.append(mint(creds, expire_seconds=expire_seconds))
        return minted[-1]

    monkeypatch.setattr(usersig, "mint_usersig", counting_mint)
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=70001)

    answer = gateway.push(key="expired-1")

    assert answer.status == 202
    assert [c["error_code"] for c in gateway.im_push_calls()] == [70001, 0]
    assert len(minted) == 2  # the cached sig was dropped and a new one signed
    assert len(gateway.aws.calls("secretsmanager.GetSecretValue")) == 2  # forced re-read
    assert len(gateway.sandbox.pushes()) == 1
    assert gateway.quota()["used"] == 1


def test_90024_despite_local_state_waits_the_interval_and_retries_once_to_202(
    gateway: Gateway,
) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=90024)

    answer = gateway.push(key="interval-1")

    assert answer.status == 202
    calls = gateway.im_push_calls()
    assert [c["error_code"] for c in calls] == [90024, 0]
    assert calls[1]["at"] - calls[0]["at"] >= INTERVAL_MS / 1000
    assert len(gateway.sandbox.pushes()) == 1
    assert gateway.quota()["used"] == 1


def test_90024_twice_answers_429_push_interval_and_releases_the_slot(gateway: Gateway) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=90024, times=2)

    answer = gateway.push(key="interval-2")

    assert (answer.status, answer.code) == (429, "push_interval")
    assert answer.body["upstream_code"] == 90024
    assert int(answer.headers["retry-after"]) >= 1
    assert len(gateway.im_push_calls()) == 2  # retried once, not more
    assert gateway.quota()["used"] == 0


def test_90047_despite_local_state_answers_429_and_marks_the_day_exhausted(
    gateway: Gateway,
) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=90047)

    answer = gateway.push(key="exhausted-1")

    assert (answer.status, answer.code) == (429, "daily_quota_exhausted")
    assert answer.body["upstream_code"] == 90047
    assert int(answer.headers["retry-after"]) >= 1
    quota = gateway.quota()
    assert (quota["used"], quota["remaining"]) == (quota["limit"], 0)
    # The next push is refused locally: upstream is not asked again today.
    time.sleep(INTERVAL_MS / 1000 + 0.1)
    later = gateway.push(key="exhausted-2")
    assert (later.status, later.code) == (429, "daily_quota_exhausted")
    assert len(gateway.im_push_calls()) == 1

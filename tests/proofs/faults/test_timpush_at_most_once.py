"""TIM_PUSH_API=timpush under every "accepted, then the answer is lost" fault: `timpush/push`,
`timpush/batch` and `timpush/revoke` are never sent twice (docs/decisions.md §3, §16)."""

from __future__ import annotations

import pytest

from devstack.sandbox.faults import AFTER_ACCEPT
from push_common import caches
from tests.proofs.faults.harness import Gateway

# `delay` is a slow answer: the read timeout is set just above Tencent's 3 s so the case is quick.
KINDS = [f"accept_then_{kind}" for kind in AFTER_ACCEPT]
TEST_SEND = {"audience": {"accounts": ["alice"]}, "notification": {"title": "T", "body": "B"}}
BROADCAST = {"audience": {"all": True}, "message": {"text": "Sale"}}


@pytest.fixture(autouse=True)
def timpush(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIM_PUSH_API", "timpush")
    monkeypatch.setenv("UPSTREAM_READ_TIMEOUT_SECONDS", "3.1")
    caches.clear_all()


def fault(gateway: Gateway, kind: str, command: str) -> None:
    gateway.sandbox.add_fault(kind, command=command, delay_seconds=3.5, error_code=91000)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("command", "body"), [("batch", TEST_SEND), ("push", BROADCAST)])
def test_a_lost_push_or_batch_answer_is_never_resent(
    gateway: Gateway, kind: str, command: str, body: dict[str, object]
) -> None:
    fault(gateway, kind, command)
    answer = gateway.push(body, key=f"{command}-{kind}")
    assert (answer.status in (502, 504), answer.code) == (True, "outcome_unknown")
    again = gateway.push(body, key=f"{command}-{kind}")
    assert (again.status, again.body) == (answer.status, answer.body)  # replayed
    assert len(gateway.calls_of(command)) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_a_lost_revoke_answer_is_never_resent_and_a_retry_is_safe(
    gateway: Gateway, kind: str
) -> None:
    sent = gateway.push(BROADCAST)
    assert sent.status == 202, sent.body
    fault(gateway, kind, "revoke")
    lost = gateway.recall(sent.body["push_id"])
    assert (lost.status, lost.code, lost.body["retryable"]) == (504, "recall_outcome_unknown", True)
    assert len(gateway.calls_of("revoke")) == 1
    retry = gateway.recall(sent.body["push_id"])  # upstream: 90050, already revoked
    assert (retry.status, retry.body["status"]) == (200, "recalled")

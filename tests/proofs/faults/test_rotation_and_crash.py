"""Secret rotation during a run, a Lambda dying right after upstream accepted, and the event path.

Exactly-once rests on two things: the idempotency record (same key → same answer) and the
MsgRandom derived from the key (upstream returns the first TaskId for a repeat). A retry after
an unknown outcome reserves a second slot: the policy over-counts rather than under-counts.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from devstack.sandbox.auth import AppConfig
from push_common.push.submission import LEASE_MARGIN_SECONDS
from push_common.tim_client import TimClient
from tests.proofs.faults.conftest import INTERVAL_MS, ROTATED_KEY, SECRET_ID, moto
from tests.proofs.faults.harness import SALE, Gateway

PAUSE = INTERVAL_MS / 1000 + 0.1


class LambdaKilled(BaseException):
    """The runtime stopping the function: nothing in the function gets to handle it."""


def test_secret_rotated_mid_run_is_picked_up_after_one_70009_and_one_re_sign(
    gateway: Gateway, moto_url: str
) -> None:
    assert gateway.push(key="before-rotation").status == 202
    new_admin = {"sdkappid": 1400000000, "identifier": "administrator", "key": ROTATED_KEY}
    moto("secretsmanager", moto_url).put_secret_value(
        SecretId=SECRET_ID, SecretString=json.dumps(new_admin)
    )
    gateway.sandbox.core.app = AppConfig(1400000000, "administrator", ROTATED_KEY)
    time.sleep(PAUSE)

    answer = gateway.push(key="after-rotation")

    assert answer.status == 202
    # The cached key signs a sig upstream rejects (70009); the client re-reads the secret once.
    assert [c["error_code"] for c in gateway.im_push_calls()] == [0, 70009, 0]
    assert len(gateway.aws.calls("secretsmanager.GetSecretValue")) == 2
    assert len(gateway.sandbox.pushes()) == 2
    assert gateway.quota()["used"] == 2  # the rejected attempt was inside one reservation


def test_lambda_killed_right_after_upstream_accepted_retry_does_not_broadcast_twice(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = TimClient.call

    def call_then_die(self: TimClient, command: str, body: Any, **kwargs: Any) -> dict[str, Any]:
        original(self, command, body, **kwargs)  # upstream accepts...
        raise LambdaKilled(command)  # ...and the runtime kills the function before it answers

    monkeypatch.setattr(TimClient, "call", call_then_die)
    started = time.monotonic()
    with pytest.raises(LambdaKilled):
        gateway.push(key="crash-1", remaining_ms=1500)
    monkeypatch.setattr(TimClient, "call", original)
    [accepted] = gateway.sandbox.pushes()

    early = gateway.push(key="crash-1")  # the dead invocation's time is not up yet
    assert (early.status, early.code) == (409, "idempotency_in_progress")
    assert int(early.headers["retry-after"]) >= 1
    time.sleep(max(0.0, started + 1.5 + LEASE_MARGIN_SECONDS + 0.1 - time.monotonic()))
    again = gateway.push(key="crash-1")  # its time is up: it may have sent, so never again
    later = gateway.push(key="crash-1")

    assert (again.status, again.code, again.body["retryable"]) == (502, "outcome_unknown", False)
    assert (later.status, later.body) == (502, again.body)
    assert later.headers.get("idempotent-replayed") == "true"
    assert again.body["push_id"] == later.body["push_id"]
    assert len(gateway.sandbox.pushes()) == 1 and accepted["task_id"]
    assert len(gateway.im_push_calls()) == 1
    assert gateway.quota()["used"] == 1  # the one slot stays spent (a task may exist)


def test_deadline_reached_after_upstream_accepted_answers_outcome_unknown_and_replays_it(
    gateway: Gateway,
) -> None:
    gateway.sandbox.add_fault("accept_then_delay", command="im_push", delay_seconds=2.0)

    answer = gateway.push(key="deadline-1", remaining_ms=1800)

    assert (answer.status, answer.code) == (504, "outcome_unknown")
    assert len(gateway.sandbox.pushes()) == 1
    assert len(gateway.im_push_calls()) == 1  # no blind re-send of an unanswered push
    again = gateway.push(key="deadline-1")
    assert (again.status, again.body) == (504, answer.body)
    assert len(gateway.im_push_calls()) == 1
    assert gateway.quota()["used"] == 1  # replays reserve nothing


def test_event_push_refused_with_90047_publishes_push_failed_and_is_not_retried(
    gateway: Gateway,
) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=90047)

    out = gateway.push_event({**SALE, "idempotency_key": "evt-quota"})

    assert (out["outcome"], out["code"]) == ("failed", "daily_quota_exhausted")
    [entry] = gateway.published()
    detail = json.loads(entry["Detail"])
    assert (entry["DetailType"], detail["upstream_code"]) == ("Push Failed", 90047)
    assert gateway.quota()["remaining"] == 0


def test_event_push_with_91000_is_outcome_unknown_and_the_redelivery_sends_nothing(
    gateway: Gateway,
) -> None:
    gateway.sandbox.add_fault("error_code", command="im_push", error_code=91000, times=3)
    detail = {**SALE, "idempotency_key": "evt-internal"}

    out = gateway.push_event(detail)  # answered, never raised: a retry could broadcast twice
    time.sleep(PAUSE)
    again = gateway.push_event(detail)

    assert (out["outcome"], again["outcome"], again["replayed"]) == (
        "outcome_unknown",
        "outcome_unknown",
        True,
    )
    [entry] = gateway.published()
    assert entry["DetailType"] == "Push Outcome Unknown"
    assert json.loads(entry["Detail"])["push_id"] == out["push_id"]
    assert len(gateway.im_push_calls()) == 1
    assert gateway.quota()["used"] == 1  # the 91000 reservation is kept (task may exist)

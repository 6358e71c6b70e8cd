"""Event requesters through the real push_event handler: allowed sources, other accounts."""

from __future__ import annotations

from typing import Any

import pytest

from functions.push_event.handler import lambda_handler, own_account
from push_common import caches
from push_common.push.service import PushContext, msg_random_for
from tests.support.env import load_event
from tests.support.handler_stubs import StubHttp, aws, upstream
from tests.support.lambda_context import FakeLambdaContext
from tests.unit.push.test_push_event_handler import Outcomes, outcomes

__all__ = ["aws", "outcomes", "upstream"]

OWN = "123456789012"
PARTNER = "210987654321"


def _handle(event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = lambda_handler(
        event, FakeLambdaContext(function_name="PushEventFunction")
    )
    return result


def _use_env(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    caches.clear_all()


def test_a_source_outside_the_allow_list_pushes_nothing_and_fails_for_good(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_env(monkeypatch, ALLOWED_EVENT_SOURCES="billing", STACK_ACCOUNT_ID=OWN)
    event = load_event("push_event_requested.json")

    result = _handle(event)  # returns: not raised, so neither EventBridge nor Lambda retries it

    assert result == {"outcome": "failed", "code": "source_not_allowed"}
    assert upstream.pushes() == []
    [failed] = outcomes.read()
    assert failed["detail-type"] == "Push Failed"
    detail = failed["detail"]
    assert (detail["code"], detail["retryable"]) == ("source_not_allowed", False)
    assert detail["idempotency_key"] == event["detail"]["idempotency_key"]
    assert detail["request_event_id"] == event["id"]


def test_a_listed_source_pushes(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("push_event_requested.json")
    _use_env(monkeypatch, ALLOWED_EVENT_SOURCES=f"billing,{event['source']}")
    assert _handle(event)["outcome"] == "sent"
    assert len(upstream.pushes()) == 1


def test_another_accounts_event_is_its_own_caller_and_scope(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_env(monkeypatch, STACK_ACCOUNT_ID=OWN)
    event = {**load_event("push_event_requested.json"), "account": PARTNER}
    key = event["detail"]["idempotency_key"]
    caller = f"eventbridge:{PARTNER}/{event['source']}"

    assert _handle(event)["outcome"] == "sent"

    # Same source and key, but another account: not one push (the scope is the caller).
    assert upstream.pushes()[0]["MsgRandom"] == msg_random_for(
        PushContext(caller=caller, idempotency_scope=caller, idempotency_key=key)
    )


def test_a_partner_source_is_not_the_internal_one_for_broadcasts(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = load_event("push_event_requested_all.json")
    _use_env(
        monkeypatch,
        STACK_ACCOUNT_ID=OWN,
        BROADCAST_ALL_PRINCIPALS=f"eventbridge:{event['source']}",
    )
    assert _handle({**event, "account": PARTNER}) == {
        "outcome": "failed",
        "code": "broadcast_not_allowed",
    }
    assert _handle({**event, "account": OWN})["outcome"] == "sent"


def test_own_account_comes_from_the_setting_else_the_function_arn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    context = FakeLambdaContext(function_name="PushEventFunction")
    assert own_account(context) == context.invoked_function_arn.split(":")[4]
    _use_env(monkeypatch, STACK_ACCOUNT_ID="111122223333")
    assert own_account(context) == "111122223333"

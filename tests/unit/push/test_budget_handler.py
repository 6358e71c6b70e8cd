"""Caller budgets through the real push API handler, moto AWS and a stub upstream
(docs/architecture.md §15): the 429, the caller's view of the quota, an invalid QUOTA_BUDGETS."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.push_api.handler import lambda_handler
from push_common import caches
from tests.support.env import load_event
from tests.support.handler_stubs import StubHttp
from tests.support.lambda_context import FakeLambdaContext
from tests.support.openapi_spec import response_problems

CALLER = "arn:aws:iam::123456789012:user/orders-service"  # the caller of events/push_api_*.json
MARKETING = "arn:aws:iam::123456789012:role/marketing"


def invoke(name: str, caller: str = CALLER) -> tuple[int, dict[str, str], dict[str, Any]]:
    event = load_event(name)
    event["requestContext"]["authorizer"]["iam"]["userArn"] = caller
    result = lambda_handler(event, FakeLambdaContext())
    headers = {k.lower(): v for k, v in result["headers"].items()}
    body = json.loads(result["body"])
    method, path = event["routeKey"].split(" ", 1)
    raw = result["body"].encode()
    assert response_problems(method, path, result["statusCode"], headers, raw) == []
    return result["statusCode"], headers, body


@pytest.fixture
def budgets(upstream: StubHttp, monkeypatch: pytest.MonkeyPatch) -> StubHttp:
    monkeypatch.setenv("PUSH_DAILY_LIMIT", "10")
    monkeypatch.setenv("QUOTA_BUDGETS", json.dumps({CALLER: 1, MARKETING: 6}))
    caches.clear_all()
    return upstream


def test_a_push_over_the_callers_budget_is_429_and_sends_nothing(budgets: StubHttp) -> None:
    assert invoke("push_api_post_all.json")[0] == 202
    status, headers, body = invoke("push_api_post_all.json")
    assert (status, body["code"], body["retryable"]) == (429, "caller_budget_exhausted", True)
    assert int(headers["retry-after"]) > 0
    assert f"{CALLER} has a budget of 1 pushes a day (QUOTA_BUDGETS)" in body["detail"]
    assert len(budgets.pushes()) == 1
    session = "arn:aws:sts::123456789012:assumed-role/marketing/alice"
    assert invoke("push_api_post_all.json", caller=session)[0] == 202  # others unaffected


def test_get_quota_shows_the_callers_share(budgets: StubHttp) -> None:
    invoke("push_api_post_all.json")
    status, _, body = invoke("push_api_get_quota.json")
    assert status == 200
    assert body["caller"] == {
        "name": CALLER,
        "budget": 1,
        "used": 1,
        "scheduled": 0,
        "remaining": 0,
    }
    assert (body["used"], body["remaining"]) == (1, 9)
    someone = "arn:aws:iam::123456789012:user/someone"
    shared = invoke("push_api_get_quota.json", caller=someone)[2]["caller"]
    assert shared == {"name": "shared", "budget": 3, "used": 0, "scheduled": 0, "remaining": 3}


@pytest.mark.parametrize(
    "raw", ['{"arn:aws:iam::123456789012:role/a": 101}', '{"x": 0}', "marketing=40"]
)
def test_invalid_budgets_answer_every_request_with_a_configuration_error(
    upstream: StubHttp, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("QUOTA_BUDGETS", raw)
    caches.clear_all()
    for name in ("push_api_post_all.json", "push_api_get_quota.json"):
        status, headers, body = invoke(name)
        assert (status, headers["content-type"]) == (500, "application/problem+json")
        assert (body["code"], body["retryable"]) == ("configuration_error", False)
        assert body["detail"].startswith("invalid configuration: QUOTA_BUDGETS")
    assert upstream.posts == []

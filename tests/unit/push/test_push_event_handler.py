"""Every `events/push_event_*.json` through the real push_event handler (moto AWS, stub upstream).

The outcome events really go through EventBridge (moto): a rule on the bus copies them to a queue.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from functions.push_event.handler import lambda_handler
from push_common import caches
from push_common.errors import ConfigurationError
from push_common.push.event_api import RetryEvent
from push_common.push.service import PushContext, msg_random_for
from tests.support.env import EVENTS, load_event
from tests.support.handler_stubs import REGION, TASK_ID, StubHttp
from tests.support.lambda_context import FakeLambdaContext

BUS = "tim-push-gateway-bus"


@dataclass
class Outcomes:
    queue_url: str

    def read(self) -> list[dict[str, Any]]:
        sqs = boto3.client("sqs", region_name=REGION)
        got = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in got.get("Messages", [])]


@pytest.fixture
def outcomes(upstream: StubHttp, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outcomes]:
    events, sqs = (
        boto3.client("events", region_name=REGION),
        boto3.client("sqs", region_name=REGION),
    )
    if BUS not in [b["Name"] for b in events.list_event_buses()["EventBuses"]]:
        events.create_event_bus(Name=BUS)
    queue_url = sqs.create_queue(QueueName="outcomes")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    events.put_rule(Name="all", EventBusName=BUS, EventPattern='{"source": ["tim-push-gateway"]}')
    events.put_targets(
        Rule="all", EventBusName=BUS, Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
    )
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    caches.clear_all()
    yield Outcomes(queue_url)
    sqs.delete_queue(QueueUrl=queue_url)


def test_every_push_event_file_is_covered() -> None:
    covered = {
        "push_event_requested.json",
        "push_event_requested_all.json",
        "push_event_invalid.json",
        "push_event_dry_run.json",
    }
    assert {p.name for p in EVENTS.glob("push_event_*.json")} == covered


def test_requested_event_pushes_and_announces_it(upstream: StubHttp, outcomes: Outcomes) -> None:
    event = load_event("push_event_requested.json")

    result = lambda_handler(event, FakeLambdaContext(function_name="PushEventFunction"))

    key = event["detail"]["idempotency_key"]
    [sent] = outcomes.read()
    assert result["outcome"] == "sent" and result["task_id"] == TASK_ID
    assert upstream.pushes()[0]["Condition"] == {"TagsOr": ["vip", "beta"]}
    assert upstream.pushes()[0]["MsgRandom"] == msg_random_for(
        # the idempotency scope is the event caller, `eventbridge:<source>` from this account
        PushContext(
            caller="eventbridge:orders-service",
            idempotency_scope="eventbridge:orders-service",
            idempotency_key=key,
        )
    )
    assert sent["detail-type"] == "Push Sent"
    assert sent["detail"] == {
        "push_id": result["push_id"],
        "task_id": TASK_ID,
        "idempotency_key": key,
        "request_event_id": event["id"],
        "source": "orders-service",
    }


def test_redelivered_event_is_pushed_and_announced_once(
    upstream: StubHttp, outcomes: Outcomes
) -> None:
    event = load_event("push_event_requested_all.json")

    first = lambda_handler(event, FakeLambdaContext(function_name="PushEventFunction"))
    again = lambda_handler(event, FakeLambdaContext(function_name="PushEventFunction"))

    assert (first["replayed"], again["replayed"]) == (False, True)
    assert again["task_id"] == first["task_id"]
    assert len(upstream.pushes()) == 1
    assert "Condition" not in upstream.pushes()[0]  # {"all": true}
    assert [o["detail-type"] for o in outcomes.read()] == ["Push Sent"]


def test_invalid_event_is_not_retried_but_reported(upstream: StubHttp, outcomes: Outcomes) -> None:
    event = load_event("push_event_invalid.json")

    result = lambda_handler(event, FakeLambdaContext(function_name="PushEventFunction"))

    [failed] = outcomes.read()
    assert result == {"outcome": "failed", "code": "validation_failed"}
    assert upstream.pushes() == []
    assert failed["detail-type"] == "Push Failed"
    assert failed["detail"]["retryable"] is False
    assert failed["detail"]["errors"][0]["upstream_code"] == 90039


def test_maybe_sent_push_is_published_as_outcome_unknown_and_never_sent_again(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = _Answers([91000, 0])
    monkeypatch.setattr(upstream, "request", answers)
    event = load_event("push_event_requested.json")
    context = FakeLambdaContext(function_name="PushEventFunction")

    first = lambda_handler(event, context)  # answered, not raised: a retry would send again
    again = lambda_handler(event, context)  # EventBridge redelivers anyway

    assert (first["outcome"], again["outcome"], again["replayed"]) == (
        "outcome_unknown",
        "outcome_unknown",
        True,
    )
    assert answers.calls == 1
    [unknown] = outcomes.read()
    assert unknown["detail-type"] == "Push Outcome Unknown"
    assert unknown["detail"]["push_id"] == first["push_id"]
    assert unknown["detail"]["request_event_id"] == event["id"]
    assert unknown["detail"]["idempotency_key"] == event["detail"]["idempotency_key"]


def test_retryable_failure_without_a_task_raises_then_runs_again(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = _Answers([60018, 0])
    monkeypatch.setattr(upstream, "request", answers)
    event = load_event("push_event_requested.json")
    context = FakeLambdaContext(function_name="PushEventFunction")

    with pytest.raises(RetryEvent) as raised:
        lambda_handler(event, context)
    assert raised.value.code == "upstream_throttled"
    assert outcomes.read() == []  # retried by EventBridge/Lambda: no premature Push Failed

    again = lambda_handler(event, context)
    assert (again["outcome"], answers.calls) == ("sent", 2)
    assert [o["detail-type"] for o in outcomes.read()] == ["Push Sent"]


def test_dry_run_event_sends_nothing_and_publishes_the_body(
    upstream: StubHttp, outcomes: Outcomes
) -> None:
    event = load_event("push_event_dry_run.json")

    result = lambda_handler(event, FakeLambdaContext(function_name="PushEventFunction"))

    assert result == {"outcome": "dry_run"}
    assert upstream.pushes() == []
    [dry] = outcomes.read()
    assert dry["detail-type"] == "Push Dry Run"
    assert dry["detail"]["upstream_request"]["Condition"] == {"TagsOr": ["vip", "beta"]}
    assert dry["detail"]["quota"]["used"] == 0
    assert dry["detail"]["request_event_id"] == event["id"]


@dataclass
class _Answers:
    """Answers im_push with the next code of the script (0 = accepted)."""

    codes: list[int]
    calls: int = 0

    def __call__(self, method: str, url: str, **_: Any) -> Any:
        from tests.support.handler_stubs import StubResponse

        if not url.split("?")[0].endswith("/im_push"):
            raise AssertionError(f"unexpected call {url.split('?')[0]}")
        code = self.codes.pop(0)
        self.calls += 1
        body: dict[str, Any] = {"ActionStatus": "OK" if code == 0 else "FAIL", "ErrorCode": code}
        body["ErrorInfo"] = ""
        if code == 0:
            body["TaskId"] = TASK_ID
        return StubResponse(200, json.dumps(body).encode())


def test_broadcast_from_an_unlisted_source_is_refused(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROADCAST_ALL_PRINCIPALS", "arn:aws:iam::123456789012:role/broadcaster")
    caches.clear_all()

    result = lambda_handler(load_event("push_event_requested_all.json"), FakeLambdaContext())

    assert result == {"outcome": "failed", "code": "broadcast_not_allowed"}
    assert upstream.pushes() == []
    assert [o["detail-type"] for o in outcomes.read()] == ["Push Failed"]


def test_broadcast_from_a_listed_source_is_sent(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROADCAST_ALL_PRINCIPALS", "eventbridge:marketing-service")
    caches.clear_all()

    result = lambda_handler(load_event("push_event_requested_all.json"), FakeLambdaContext())

    assert result["outcome"] == "sent"
    assert len(upstream.pushes()) == 1


def test_an_event_over_its_callers_budget_fails_and_is_not_retried(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUOTA_BUDGETS", '{"eventbridge:orders-service": 1}')
    caches.clear_all()
    context = FakeLambdaContext(function_name="PushEventFunction")
    first = load_event("push_event_requested.json")
    second = {**first, "id": "second", "detail": {**first["detail"], "idempotency_key": "two"}}

    sent = lambda_handler(first, context)
    refused = lambda_handler(second, context)  # returns: a redelivery would only fail again

    assert sent["outcome"] == "sent"
    assert refused == {"outcome": "failed", "code": "caller_budget_exhausted"}
    assert len(upstream.pushes()) == 1
    published = outcomes.read()
    assert [o["detail-type"] for o in published] == ["Push Sent", "Push Failed"]
    failed = published[1]["detail"]
    assert failed["code"] == "caller_budget_exhausted"
    assert "eventbridge:orders-service has a budget of 1" in failed["detail"]
    assert failed["idempotency_key"] == "two"


def test_an_invalid_configuration_fails_every_event_and_sends_nothing(
    upstream: StubHttp, outcomes: Outcomes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Raised, not answered: Lambda's retries and then the DLQ keep the event, to be replayed
    # once the configuration is fixed (no outcome can be published without a valid one).
    monkeypatch.setenv("QUOTA_BUDGETS", '{"eventbridge:orders-service": 101}')
    caches.clear_all()

    with pytest.raises(ConfigurationError) as refused:
        lambda_handler(load_event("push_event_requested.json"), FakeLambdaContext())

    assert "QUOTA_BUDGETS" in refused.value.detail
    assert upstream.pushes() == []
    assert outcomes.read() == []

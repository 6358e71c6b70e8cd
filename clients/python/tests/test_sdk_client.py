"""TimPushClient against a stub gateway over real HTTP: routes, signing, retries, typed errors."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

import pytest

from tim_push import (
    Audience,
    ConfigurationError,
    Forbidden,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ResponseTimeout,
    ServiceUnavailable,
    Timeouts,
    TimPushClient,
    TransportError,
    UpstreamRejected,
    ValidationFailed,
)
from tim_push.errors import Conflict, InternalError

if TYPE_CHECKING:
    from tests.conftest import StubGateway

KEY_ID, REGION = "AKIASDKTESTS00000000", "ap-southeast-1"  # as in conftest.py

ACCEPTED = {"push_id": "p-1", "task_id": "1400000000_1", "status": "submitted"}


class FakeTime:
    """sleep() advances clock(), so retry budgets are tested without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(stub: StubGateway, fake_time: FakeTime) -> TimPushClient:
    return TimPushClient(
        stub.url,
        timeouts=Timeouts(connect=1, read=2, retry_budget=10),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )


def test_a_push_is_signed_for_execute_api_with_a_generated_idempotency_key(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.answer(202, ACCEPTED)
    answer = client.push(Audience.tags(any_of=["vip"]), text="Sale starts now")
    assert answer["push_id"] == "p-1"
    sent = stub.last
    assert (sent.method, sent.path) == ("POST", "/v1/pushes")
    assert sent.body == {
        "audience": {"tags": {"any": ["vip"]}},
        "message": {"text": "Sale starts now"},
    }
    assert re.fullmatch(r"tim-push-[0-9a-f-]{36}", sent.headers["idempotency-key"])
    auth = sent.headers["authorization"]
    assert auth.startswith(f"AWS4-HMAC-SHA256 Credential={KEY_ID}/")
    assert f"/{REGION}/execute-api/aws4_request" in auth
    assert sent.signature == stub.signature_ok


def test_every_push_gets_its_own_key_unless_one_is_given(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.answer(202, ACCEPTED).answer(202, ACCEPTED).answer(202, ACCEPTED)
    client.push(Audience.everyone(), text="a")
    client.push(Audience.everyone(), text="a")
    client.push(Audience.everyone(), text="a", idempotency_key="sale-1")
    keys = [r.headers["idempotency-key"] for r in stub.received]
    assert keys[0] != keys[1]
    assert keys[2] == "sale-1"


def test_push_options_map_to_the_contract_fields(stub: StubGateway, client: TimPushClient) -> None:
    stub.answer(
        202, {"push_id": "p-2", "status": "scheduled", "send_at": "2026-12-01T01:00:00.000Z"}
    )
    at = datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    answer = client.push(
        Audience.attributes(any_of={"city": "NY"}, all_of={"sex": "F"}),
        message={"elements": [{"type": "text", "text": "hi"}]},
        notification={"title": "T", "body": "B"},
        sender="ops-bot",
        offline_ttl_seconds=3600,
        send_at=at,
        keep_in_history=True,
    )
    assert answer["status"] == "scheduled"
    assert stub.last.body == {
        "audience": {"attributes": {"any": {"city": "NY"}, "all": {"sex": "F"}}},
        "message": {"elements": [{"type": "text", "text": "hi"}]},
        "notification": {"title": "T", "body": "B"},
        "sender": "ops-bot",
        "offline_ttl_seconds": 3600,
        "send_at": "2026-12-01T09:00:00+08:00",
        "keep_in_history": True,
    }


def test_a_naive_send_at_is_refused_before_anything_is_sent(
    stub: StubGateway, client: TimPushClient
) -> None:
    with pytest.raises(ConfigurationError, match="time zone"):
        client.push(Audience.everyone(), text="x", send_at=datetime(2026, 12, 1, 9, 0))
    assert stub.received == []


def test_dry_run_sends_the_flag_and_no_generated_key(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.answer(200, {"dry_run": True, "upstream_request": {"MsgRandom": 1}, "quota": {}})
    answer = client.dry_run(Audience.accounts(["alice"]), notification={"title": "t", "body": "b"})
    assert answer["upstream_request"] == {"MsgRandom": 1}
    assert stub.last.body["dry_run"] is True
    assert stub.last.body["audience"] == {"accounts": ["alice"]}
    assert "idempotency-key" not in stub.last.headers


def test_429_is_retried_after_retry_after_with_the_same_key(
    stub: StubGateway, client: TimPushClient, fake_time: FakeTime
) -> None:
    stub.problem(429, "push_interval", retry_after_header=2).answer(202, ACCEPTED)
    assert client.push(Audience.everyone(), text="x")["push_id"] == "p-1"
    first, second = stub.received
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]
    assert first.body == second.body
    assert fake_time.slept == [2.0]


def test_503_is_retried_and_a_missing_retry_after_means_one_second(
    stub: StubGateway, client: TimPushClient, fake_time: FakeTime
) -> None:
    stub.problem(503, "upstream_unavailable").answer(202, ACCEPTED)
    client.push(Audience.everyone(), text="x", idempotency_key="k-503")
    assert [r.headers["idempotency-key"] for r in stub.received] == ["k-503", "k-503"]
    assert fake_time.slept == [1.0]


def test_an_in_progress_duplicate_waits_for_the_replay(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.problem(409, "idempotency_in_progress", retry_after_header=1).answer(202, ACCEPTED)
    assert client.push(Audience.everyone(), text="x")["status"] == "submitted"
    assert len(stub.received) == 2


def test_a_retry_after_beyond_the_budget_is_raised_at_once(
    stub: StubGateway, client: TimPushClient, fake_time: FakeTime
) -> None:
    stub.problem(429, "daily_quota_exhausted", retry_after_header=3600)
    with pytest.raises(RateLimited) as caught:
        client.push(Audience.everyone(), text="x", idempotency_key="k-1")
    assert caught.value.code == "daily_quota_exhausted"
    assert caught.value.retry_after == 3600
    assert caught.value.idempotency_key == "k-1"
    assert len(stub.received) == 1
    assert fake_time.slept == []


def test_retries_stop_when_the_budget_is_spent(
    stub: StubGateway, client: TimPushClient, fake_time: FakeTime
) -> None:
    for _ in range(20):
        stub.problem(503, "aws_unavailable", retry_after_header=3)
    with pytest.raises(ServiceUnavailable):
        client.quota()
    # budget 10 s, 3 s apart: attempts at 0, 3, 6, 9 s, then 12 s would pass the budget
    assert len(stub.received) == 4
    assert sum(fake_time.slept) <= 10


@pytest.mark.parametrize("status", [502, 504])
def test_outcome_unknown_is_never_retried(
    stub: StubGateway, client: TimPushClient, status: int
) -> None:
    stub.problem(status, "outcome_unknown", push_id="p-9", retry_after_header=1)
    with pytest.raises(OutcomeUnknown) as caught:
        client.push(Audience.everyone(), text="x")
    assert caught.value.push_id == "p-9"
    assert caught.value.status == status
    assert len(stub.received) == 1


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [(500, "internal_error", InternalError), (502, "upstream_rejected", UpstreamRejected)],
)
def test_other_5xx_are_not_retried(
    stub: StubGateway, client: TimPushClient, status: int, code: str, kind: type[Exception]
) -> None:
    stub.problem(status, code, upstream_code=90001, retry_after_header=1)
    with pytest.raises(kind) as caught:
        client.push(Audience.everyone(), text="x")
    assert getattr(caught.value, "upstream_code", None) == 90001
    assert len(stub.received) == 1


def test_a_422_carries_every_field_problem(stub: StubGateway, client: TimPushClient) -> None:
    errors = [
        {"field": "audience.tags.any[0]", "message": "tag is empty", "upstream_code": 90020},
        {"field": "message", "message": "required"},
    ]
    stub.problem(422, "validation_failed", errors=errors)
    with pytest.raises(ValidationFailed) as caught:
        client.push(Audience.tags(any_of=[""]), text="x")
    problems = caught.value.errors
    assert [str(p) for p in problems] == ["audience.tags.any[0]: tag is empty", "message: required"]
    assert problems[0].upstream_code == 90020
    assert problems[1].upstream_code is None
    assert len(stub.received) == 1


def test_a_non_json_error_page_still_becomes_a_typed_error(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.answer(502, b"<html>Bad Gateway</html>", {"content-type": "text/html"})
    with pytest.raises(UpstreamRejected) as caught:
        client.quota()
    assert caught.value.code == "http_502"
    assert "Bad Gateway" in caught.value.detail


def test_an_api_gateway_refusal_keeps_its_message(stub: StubGateway, client: TimPushClient) -> None:
    message = "The request signature we calculated does not match the signature you provided."
    stub.answer(403, {"message": message})
    with pytest.raises(Forbidden) as caught:
        client.quota()
    assert (caught.value.code, caught.value.detail) == ("http_403", message)


def test_retry_after_as_an_http_date(
    stub: StubGateway, client: TimPushClient, fake_time: FakeTime
) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=5), usegmt=True)
    stub.problem(503, "aws_throttled", retry_after_header=when).answer(200, {"limit": 100})
    client.quota()
    assert 3 <= fake_time.slept[0] <= 5


def test_a_connection_that_never_opened_is_retried_then_reported(
    aws_env: None, fake_time: FakeTime
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = TimPushClient(
        f"http://127.0.0.1:{port}",
        timeouts=Timeouts(connect=1, read=1, retry_budget=5),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(TransportError) as caught:
        client.push(Audience.everyone(), text="x", idempotency_key="k-conn")
    assert not isinstance(caught.value, ResponseTimeout)
    assert caught.value.idempotency_key == "k-conn"
    assert len(fake_time.slept) == 2  # 2 s apart within a 5 s budget


def test_a_tls_failure_is_a_transport_error_not_an_unknown_outcome(
    stub: StubGateway, fake_time: FakeTime
) -> None:
    client = TimPushClient(
        stub.url.replace("http://", "https://"),  # the stub speaks plain HTTP
        timeouts=Timeouts(connect=1, read=1, retry_budget=10),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(TransportError) as caught:
        client.quota()
    assert not isinstance(caught.value, ResponseTimeout)
    assert "TLS" in str(caught.value)
    assert fake_time.slept == []


def test_no_answer_in_time_is_not_retried(stub: StubGateway, fake_time: FakeTime) -> None:
    stub.answer(202, ACCEPTED, delay=1.0)
    client = TimPushClient(
        stub.url,
        timeouts=Timeouts(connect=1, read=0.2, retry_budget=10),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    with pytest.raises(ResponseTimeout) as caught:
        client.push(Audience.everyone(), text="x", idempotency_key="k-slow")
    assert caught.value.idempotency_key == "k-slow"
    assert len(stub.received) == 1


def test_an_unknown_push_is_not_found(stub: StubGateway, client: TimPushClient) -> None:
    stub.problem(404, "push_not_found")
    with pytest.raises(NotFound) as caught:
        client.get_push("nope")
    assert caught.value.code == "push_not_found"


def test_a_state_conflict_is_a_conflict_and_not_retried(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.problem(409, "not_cancellable", retry_after_header=1)
    with pytest.raises(Conflict):
        client.cancel_push("p-1")
    assert len(stub.received) == 1


Call = Callable[[TimPushClient], Any]
ROUTES: list[tuple[str, Call, str, str, dict[str, str], Any]] = [
    ("quota", lambda c: c.quota(), "GET", "/v1/quota", {}, None),
    (
        "quota of a day",
        lambda c: c.quota(date(2026, 12, 1)),
        "GET",
        "/v1/quota",
        {"date": "2026-12-01"},
        None,
    ),
    ("get", lambda c: c.get_push("p/1"), "GET", "/v1/pushes/p%2F1", {}, None),
    (
        "list",
        lambda c: c.list_pushes(
            since=datetime(2026, 11, 29, 8, 0, tzinfo=timezone(timedelta(hours=8))),
            until="2026-11-30T00:00:00Z",
            status="submitted",
            kind="broadcast",
            caller="arn:aws:iam::1:role/x",
            limit=5,
            cursor="c1",
        ),
        "GET",
        "/v1/pushes",
        {
            "since": "2026-11-29T08:00:00+08:00",
            "until": "2026-11-30T00:00:00Z",
            "status": "submitted",
            "kind": "broadcast",
            "caller": "arn:aws:iam::1:role/x",
            "limit": "5",
            "cursor": "c1",
        },
        None,
    ),
    ("cancel", lambda c: c.cancel_push("p-1"), "DELETE", "/v1/pushes/p-1", {}, None),
    (
        "recall",
        lambda c: c.recall_push("p-1", title="Oops", body="Sale moved"),
        "POST",
        "/v1/pushes/p-1/recall",
        {},
        {"notification": {"title": "Oops", "body": "Sale moved"}},
    ),
    ("report", lambda c: c.push_report("p-1"), "GET", "/v1/pushes/p-1/report", {}, None),
    ("approve", lambda c: c.approve_push("p-1"), "POST", "/v1/pushes/p-1/approve", {}, None),
    ("reject", lambda c: c.reject_push("p-1"), "POST", "/v1/pushes/p-1/reject", {}, None),
    ("attribute names", lambda c: c.attribute_names(), "GET", "/v1/attribute-names", {}, None),
    (
        "set attribute names",
        lambda c: c.set_attribute_names(["sex", "city"]),
        "PUT",
        "/v1/attribute-names",
        {},
        {"names": ["sex", "city"], "allow_reindex": False},
    ),
    (
        "user attributes",
        lambda c: c.user_attributes(["a", "b"]),
        "GET",
        "/v1/users/attributes",
        {"accounts": "a,b"},
        None,
    ),
    (
        "set user attributes",
        lambda c: c.set_user_attributes({"a": {"city": "NY"}}),
        "PATCH",
        "/v1/users/attributes",
        {},
        {"users": {"a": {"city": "NY"}}},
    ),
    (
        "remove user attributes",
        lambda c: c.remove_user_attributes({"a": ["city"]}),
        "POST",
        "/v1/users/attributes/remove",
        {},
        {"users": {"a": ["city"]}},
    ),
    ("user tags", lambda c: c.user_tags("a"), "GET", "/v1/users/tags", {"accounts": "a"}, None),
    (
        "add user tags",
        lambda c: c.add_user_tags({"a": ["vip", "beta"]}),
        "POST",
        "/v1/users/tags",
        {},
        {"users": {"a": ["vip", "beta"]}},
    ),
    (
        "remove user tags",
        lambda c: c.remove_user_tags({"a": ["beta"]}),
        "POST",
        "/v1/users/tags/remove",
        {},
        {"users": {"a": ["beta"]}},
    ),
    (
        "clear user tags",
        lambda c: c.clear_user_tags(["a", "b"]),
        "POST",
        "/v1/users/tags/clear",
        {},
        {"accounts": ["a", "b"]},
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path", "query", "body"),
    [r[1:] for r in ROUTES],
    ids=[r[0] for r in ROUTES],
)
def test_every_route_is_one_signed_request(
    stub: StubGateway,
    client: TimPushClient,
    call: Call,
    method: str,
    path: str,
    query: dict[str, str],
    body: Any,
) -> None:
    stub.answer(200, {"ok": True})
    assert call(client) == {"ok": True}
    sent = stub.last
    assert (sent.method, sent.path, sent.query, sent.body) == (method, path, query, body)
    assert "idempotency-key" not in sent.headers
    # The stub recomputes the signature whenever the local stack's verifier is importable.
    assert sent.signature == stub.signature_ok


def test_iter_pushes_follows_the_cursor_with_the_same_filters(
    stub: StubGateway, client: TimPushClient
) -> None:
    stub.answer(200, {"pushes": [{"push_id": "a"}, {"push_id": "b"}], "next_cursor": "n1"})
    stub.answer(200, {"pushes": [], "next_cursor": "n2"})  # a short page is not the end
    stub.answer(200, {"pushes": [{"push_id": "c"}], "next_cursor": None})
    ids = [p["push_id"] for p in client.iter_pushes(status="scheduled", limit=2)]
    assert ids == ["a", "b", "c"]
    assert [r.query.get("cursor") for r in stub.received] == [None, "n1", "n2"]
    assert all(r.query["status"] == "scheduled" for r in stub.received)


def test_the_endpoint_comes_from_the_environment(
    stub: StubGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIM_PUSH_ENDPOINT", stub.url + "/")
    stub.answer(200, {"limit": 100})
    assert TimPushClient().quota() == {"limit": 100}


def test_no_endpoint_is_a_configuration_error(aws_env: None) -> None:
    with pytest.raises(ConfigurationError, match="TIM_PUSH_ENDPOINT"):
        TimPushClient()


def test_no_credentials_is_a_configuration_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ConfigurationError, match="no AWS credentials"):
        TimPushClient("http://127.0.0.1:9")


@pytest.mark.parametrize(
    ("endpoint", "env_region", "expected"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com", "us-east-1", "eu-west-1"),
        ("https://push.example.com", "us-east-2", "us-east-2"),
        ("http://127.0.0.1:3000", None, "ap-southeast-1"),
    ],
)
def test_the_signing_region(
    aws_env: None,
    monkeypatch: pytest.MonkeyPatch,
    endpoint: str,
    env_region: str | None,
    expected: str,
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    if env_region:
        monkeypatch.setenv("AWS_REGION", env_region)
    assert TimPushClient(endpoint).region == expected


def test_a_custom_domain_without_a_region_is_a_configuration_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(ConfigurationError, match="region"):
        TimPushClient("https://push.example.com")
    assert TimPushClient("https://push.example.com", region="eu-central-1").region == "eu-central-1"

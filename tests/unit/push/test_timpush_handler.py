"""TIM_PUSH_API=timpush through the real push API handler (moto AWS, stub upstream):
timpush/push and batch on the wire, records, recall and report (docs/architecture.md §13)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from urllib3.exceptions import ReadTimeoutError

from functions.push_api.handler import lambda_handler
from push_common import caches
from push_common.push.records import iso_ms
from tests.support.env import load_event
from tests.support.handler_stubs import REGION, TABLE_NAMES, TASK_ID, StubHttp, StubResponse
from tests.support.lambda_context import FakeLambdaContext

CALLER = "arn:aws:iam::123456789012:user/orders-service"
OTHER = "arn:aws:iam::123456789012:user/someone-else"
ADMIN = "arn:aws:iam::123456789012:role/ops"
NOTIFICATION = {"title": "Sale cancelled", "body": "Sorry"}


@pytest.fixture
def timpush(upstream: StubHttp, monkeypatch: pytest.MonkeyPatch) -> Iterator[StubHttp]:
    monkeypatch.setenv("TIM_PUSH_API", "timpush")
    monkeypatch.setenv("ADMIN_PRINCIPALS", ADMIN)
    caches.clear_all()
    yield upstream


def _as(event: dict[str, Any], caller: str) -> dict[str, Any]:
    event["requestContext"]["authorizer"]["iam"]["userArn"] = caller
    return event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    result = lambda_handler(event, FakeLambdaContext())
    headers = {k.lower(): v for k, v in result["headers"].items()}
    return result["statusCode"], headers, json.loads(result["body"])


def push(body: dict[str, Any], *, caller: str = CALLER, key: str | None = None) -> Any:
    event = _as(load_event("push_api_post_all.json"), caller)
    event["body"] = json.dumps(body)
    if key is not None:
        event["headers"]["idempotency-key"] = key
    return invoke(event)


def recall(push_id: str, body: Any = None, *, caller: str = CALLER) -> Any:
    event = _as(load_event("push_api_post_recall.json"), caller)
    event["pathParameters"] = {"push_id": push_id}
    event["body"] = json.dumps({"notification": NOTIFICATION} if body is None else body)
    return invoke(event)


def report(push_id: str) -> Any:
    event = load_event("push_api_get_report.json")
    event["pathParameters"] = {"push_id": push_id}
    return invoke(event)


def record(push_id: str) -> dict[str, Any]:
    ddb = boto3.client("dynamodb", region_name=REGION)
    item = ddb.get_item(TableName=TABLE_NAMES["PushesTable"], Key={"push_id": {"S": push_id}})
    return {k: next(iter(v.values())) for k, v in item["Item"].items()}


def set_sent_at(push_id: str, ms: int) -> None:
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=TABLE_NAMES["PushesTable"],
        Key={"push_id": {"S": push_id}},
        UpdateExpression="SET sent_at = :at",
        ExpressionAttributeValues={":at": {"S": iso_ms(ms)}},
    )


def now_ms() -> int:
    import time

    return time.time_ns() // 1_000_000


def broadcast(**extra: Any) -> str:
    status, _, body = push({"audience": {"all": True}, "message": {"text": "Sale"}, **extra})
    assert status == 202, body
    return str(body["push_id"])


def posts_to(http: StubHttp, suffix: str) -> list[dict[str, Any]]:
    return [body for path, _, body in http.posts if path.endswith(suffix)]


# --- pushes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("keep", "flag"), [(None, 1), (False, 1), (True, 0)])
def test_timpush_push_carries_online_only_flag_and_the_push_id(
    timpush: StubHttp, keep: bool | None, flag: int
) -> None:
    extra = {} if keep is None else {"keep_in_history": keep}
    push_id = broadcast(**extra)
    [sent] = posts_to(timpush, "/v4/timpush/push")
    assert {k: v for k, v in sent.items() if k != "MsgRandom"} == {
        "OnlineOnlyFlag": flag,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale"}}],
        "DataId": push_id,
    }
    stored = record(push_id)
    assert (stored["upstream_api"], stored["kind"], stored["task_id"]) == (
        "timpush",
        "broadcast",
        TASK_ID,
    )


def test_test_send_goes_to_batch_without_quota(timpush: StubHttp) -> None:
    status, _, body = push(
        {"audience": {"accounts": ["alice", "bob"]}, "notification": {"title": "T", "body": "B"}}
    )
    assert status == 202
    assert set(body) == {"push_id", "task_id", "status"}  # no quota
    [sent] = posts_to(timpush, "/v4/timpush/batch")
    assert sent["To_Account"] == ["alice", "bob"]
    assert sent["From_Account"] == "administrator"
    assert sent["OfflinePushInfo"] == {"PushFlag": 0, "Title": "T", "Desc": "B"}
    assert sent["DataId"] == body["push_id"]
    assert record(body["push_id"])["kind"] == "test"
    quota = boto3.client("dynamodb", region_name=REGION).scan(TableName=TABLE_NAMES["QuotaTable"])
    assert not [i for i in quota["Items"] if i["pk"]["S"].startswith("quota#")]


def test_a_lost_batch_answer_is_never_sent_again(
    timpush: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = timpush.request

    def lose_batch(method: str, url: str, **kw: Any) -> StubResponse:
        answer = real(method, url, **kw)
        if "/timpush/batch" in url:
            raise ReadTimeoutError(None, url, "read timed out")  # type: ignore[arg-type]
        return answer

    monkeypatch.setattr(timpush, "request", lose_batch)
    data = {"audience": {"accounts": ["alice"]}, "notification": {"title": "T", "body": "B"}}
    first = push(data, key="test-1")
    again = push(data, key="test-1")
    assert (first[0], first[2]["code"]) == (504, "outcome_unknown")
    assert (again[0], again[2]["code"], again[1].get("idempotent-replayed")) == (
        504,
        "outcome_unknown",
        "true",
    )
    assert len(posts_to(timpush, "/v4/timpush/batch")) == 1


def test_audience_tags_call_the_timpush_twins(timpush: StubHttp) -> None:
    from functions.audience_api.handler import lambda_handler as audience

    event = load_event("audience_add_user_tags.json")
    result = audience(event, FakeLambdaContext())
    assert result["statusCode"] == 200
    assert timpush.paths() and all(p.startswith("/v4/timpush/") for p in timpush.paths())
    assert "/v4/timpush/add_tag" in timpush.paths()


# --- recall -----------------------------------------------------------------------------------


def test_recall_then_recall_again_is_idempotent(timpush: StubHttp) -> None:
    push_id = broadcast()
    status, _, body = recall(push_id)
    assert (status, body["status"], body["push_id"]) == (200, "recalled", push_id)
    assert body["recalled_at"] and body["upstream_api"] == "timpush"
    [revoke] = posts_to(timpush, "/v4/timpush/revoke")
    assert revoke == {
        "TaskId": TASK_ID,
        "OfflinePushInfo": {"PushFlag": 0, "Title": "Sale cancelled", "Desc": "Sorry"},
    }
    status, _, again = recall(push_id)
    assert (status, again) == (200, body)
    assert len(posts_to(timpush, "/v4/timpush/revoke")) == 1


def test_upstream_already_revoked_is_a_recall(timpush: StubHttp) -> None:
    push_id = broadcast()
    timpush.scripted["/timpush/revoke"] = [{"ActionStatus": "FAIL", "ErrorCode": 90050}]
    status, _, body = recall(push_id)
    assert (status, body["status"]) == (200, "recalled")


@pytest.mark.parametrize("code", [90049, 90052])
def test_upstream_refusals_are_not_recallable(timpush: StubHttp, code: int) -> None:
    push_id = broadcast()
    timpush.scripted["/timpush/revoke"] = [{"ActionStatus": "FAIL", "ErrorCode": code}]
    status, _, body = recall(push_id)
    assert (status, body["code"], body["upstream_code"]) == (409, "not_recallable", code)
    assert record(push_id)["status"] == "submitted"


@pytest.mark.parametrize(
    ("age_minutes", "recallable"), [(24 * 60 - 6, True), (24 * 60 - 5, False), (25 * 60, False)]
)
def test_the_recall_window_is_checked_locally(
    timpush: StubHttp, age_minutes: int, recallable: bool
) -> None:
    push_id = broadcast()
    set_sent_at(push_id, now_ms() - age_minutes * 60_000)
    status, _, body = recall(push_id)
    if recallable:
        assert status == 200
    else:
        assert (status, body["code"]) == (409, "not_recallable")
        assert posts_to(timpush, "/v4/timpush/revoke") == []


def test_only_the_caller_or_an_admin_may_recall(timpush: StubHttp) -> None:
    push_id = broadcast()
    status, _, body = recall(push_id, caller=OTHER)
    assert (status, body["code"]) == (403, "not_owner")
    status, _, body = recall(push_id, caller=ADMIN)
    assert (status, body["status"]) == (200, "recalled")


def test_recall_needs_a_notification_and_a_known_push(timpush: StubHttp) -> None:
    push_id = broadcast()
    status, _, body = recall(push_id, {})
    assert (status, body["errors"][0]["field"]) == (422, "notification")
    status, _, body = recall("no-such-push")
    assert (status, body["code"]) == (404, "push_not_found")


def test_a_test_send_is_not_recallable_and_has_no_report(timpush: StubHttp) -> None:
    _, _, sent = push(
        {"audience": {"accounts": ["a"]}, "notification": {"title": "T", "body": "B"}}
    )
    assert recall(sent["push_id"])[2]["code"] == "not_recallable"
    assert report(sent["push_id"])[2]["code"] == "report_not_available"


def test_a_lost_revoke_answer_is_504_and_leaves_the_record(
    timpush: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_id = broadcast()
    real = timpush.request

    def lose_revoke(method: str, url: str, **kw: Any) -> StubResponse:
        answer = real(method, url, **kw)
        if "/timpush/revoke" in url:
            raise ReadTimeoutError(None, url, "read timed out")  # type: ignore[arg-type]
        return answer

    monkeypatch.setattr(timpush, "request", lose_revoke)
    status, _, body = recall(push_id)
    assert (status, body["code"], body["retryable"]) == (504, "recall_outcome_unknown", True)
    assert len(posts_to(timpush, "/v4/timpush/revoke")) == 1  # never re-sent by the client
    assert record(push_id)["status"] == "submitted"


def test_recalls_wait_for_the_shared_gate_or_get_429(
    timpush: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, third = broadcast(), broadcast(), broadcast()
    assert recall(first)[0] == 200
    assert recall(second)[0] == 200  # waited out the 1 s gate
    monkeypatch.setenv("QUOTA_MAX_WAIT_MS", "0")
    caches.clear_all()
    status, headers, body = recall(third)
    assert (status, body["code"], int(headers["retry-after"]) >= 1) == (
        429,
        "recall_rate_limited",
        True,
    )


def test_legacy_pushes_follow_their_record(
    upstream: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    push_id = broadcast()  # all_member_push (the default)
    monkeypatch.setenv("TIM_PUSH_API", "timpush")
    caches.clear_all()
    assert recall(push_id)[2]["code"] == "recall_not_supported"
    assert report(push_id)[2]["code"] == "report_not_supported"


# --- report -----------------------------------------------------------------------------------


def test_report_is_normalised_and_cached(timpush: StubHttp) -> None:
    push_id = broadcast()
    status, _, body = report(push_id)
    assert status == 200
    assert {k: v for k, v in body.items() if k != "as_of"} == {
        "push_id": push_id,
        "task_id": TASK_ID,
        "total": 3,
        "sent": 3,
        "delivered": 2,
        "clicked": 1,
        "platforms": [
            {"platform": 2, "event_type": 1, "total": 3, "sent": 3, "delivered": 2, "clicked": 1}
        ],
    }
    [query] = posts_to(timpush, "/timpush/all_member_push_statistics")
    sent_s = (now_ms() // 1000) - 5
    assert query["TaskID"] == [TASK_ID]
    assert sent_s - 60 <= query["StartTime"] and query["StartTime"] < query["EndTime"]
    assert report(push_id)[2] == body  # from the record's cache
    assert len(posts_to(timpush, "/timpush/all_member_push_statistics")) == 1


def test_report_of_an_empty_result_or_an_old_push_is_not_available(timpush: StubHttp) -> None:
    push_id = broadcast()
    timpush.scripted["/all_member_push_statistics"] = [{"Results": []}]
    assert report(push_id)[2]["code"] == "report_not_available"
    set_sent_at(push_id, now_ms() - 8 * 86400 * 1000)
    status, _, body = report(push_id)
    assert (status, body["code"]) == (409, "report_not_available")
    assert report("nope")[2]["code"] == "push_not_found"

"""Every `events/push_api_*.json` through the real `lambda_handler` (moto AWS, stub upstream)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from functions.push_api.handler import lambda_handler
from tests.support.env import EVENTS, load_event
from tests.support.handler_stubs import TASK_ID, StubHttp
from tests.support.lambda_context import FakeLambdaContext
from tests.support.openapi_spec import response_problems

CALLER = "arn:aws:iam::123456789012:user/orders-service"
SALE_BODY = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}]


def wire(*, condition: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """The expected im_push body, MsgRandom aside (checked separately)."""
    body: dict[str, Any] = {"MsgLifeTime": 0}
    if condition is not None:
        body["Condition"] = condition
    body["MsgBody"] = SALE_BODY
    body.update(fields)
    return body


OFFLINE_PUSH_INFO = {
    "PushFlag": 0,
    "Title": "Sale",
    "Desc": "Sale starts now",
    "Ext": '{"k":1}',
    "AndroidInfo": {
        "Sound": "sale",
        "HuaWeiChannelID": "sale-hw",
        "XiaoMiChannelID": "sale-mi",
        "OPPOChannelID": "sale-oppo",
        "GoogleChannelID": "sale-fcm",
        "VIVOClassification": 0,
        "HuaWeiImportance": "NORMAL",
        "ExtAsHuaweiIntentParam": 1,
        "HuaWeiCategory": "MARKETING",
        "OPPOCategory": "MARKETING",
        "VIVOCategory": "MARKETING",
        "HonorImportance": "LOW",
        "MeiZuNoticeMsgType": 0,
        "OPPOPrivateMsgTemplateId": "tpl-1",
    },
    "ApnsInfo": {
        "BadgeMode": 1,
        "Sound": "sale.caf",
        "Title": "Sale!",
        "SubTitle": "Today only",
        "Image": "https://cdn.example.com/sale.png",
        "MutableContent": 1,
    },
}

# Events that push: file → the im_push body they must produce (MsgRandom checked separately).
PUSHES: dict[str, dict[str, Any]] = {
    "push_api_post_all.json": wire(),
    "push_api_post_sender.json": {
        "From_Account": "ops-bot",
        "MsgLifeTime": 0,
        "MsgBody": [
            {"MsgType": "TIMTextElem", "MsgContent": {"Text": "Maintenance tonight 02:00-03:00"}}
        ],
    },
    "push_api_post_offline_push.json": wire(
        condition={"TagsOr": ["vip", "beta"]}, MsgLifeTime=3600, OfflinePushInfo=OFFLINE_PUSH_INFO
    ),
    "push_api_post_tags_and.json": wire(condition={"TagsAnd": ["vip", "beta"]}, MsgLifeTime=60),
    "push_api_post_tags_or.json": wire(condition={"TagsOr": ["vip", "beta"]}),
    "push_api_post_attributes_and.json": wire(condition={"AttrsAnd": {"sex": "F", "city": "NY"}}),
    "push_api_post_idempotent.json": wire(),
}
# Events that must not push, each with its own test below.
OTHERS = {
    "push_api_post_dry_run.json",
    "push_api_post_invalid.json",
    "push_api_post_not_utf8.json",
    "push_api_get_quota.json",
    "push_api_get_push.json",
    "push_api_list_pushes.json",
    # tested in test_timpush_handler.py (they need a timpush push first)
    "push_api_post_recall.json",
    "push_api_get_report.json",
    "push_api_delete_push.json",
    # need a push waiting for approval first (test_approval_events_* below)
    "push_api_post_approve.json",
    "push_api_post_reject.json",
}


def invoke(name: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    result = lambda_handler(load_event(name), FakeLambdaContext())
    headers = {k.lower(): v for k, v in result["headers"].items()}
    return result["statusCode"], headers, json.loads(result["body"])


def without_random(body: dict[str, Any]) -> dict[str, Any]:
    assert 0 <= body["MsgRandom"] <= 0xFFFFFFFF
    return {k: v for k, v in body.items() if k != "MsgRandom"}


def test_every_push_api_event_is_tested() -> None:
    assert sorted(p.name for p in EVENTS.glob("push_api_*.json")) == sorted({*PUSHES, *OTHERS})


@pytest.mark.parametrize("name", sorted(PUSHES))
def test_push_event_is_202_and_sends_the_expected_body(upstream: StubHttp, name: str) -> None:
    status, headers, body = invoke(name)
    assert (status, headers["content-type"]) == (202, "application/json")
    assert (body["task_id"], body["status"], body["quota"]["used"]) == (TASK_ID, "submitted", 1)
    [(path, query, sent)] = [post for post in upstream.posts if post[0].endswith("/im_push")]
    assert without_random(sent) == PUSHES[name]
    assert path == "/v4/all_member_push/im_push"
    assert (query["sdkappid"], query["identifier"]) == ("1400000000", "administrator")
    assert (query["contenttype"], bool(query["usersig"])) == ("json", True)


def test_idempotent_event_uses_the_derived_msg_random_and_pushes_once(
    upstream: StubHttp,
) -> None:
    first = invoke("push_api_post_idempotent.json")
    again = invoke("push_api_post_idempotent.json")
    assert (first[0], again[0]) == (202, 202)
    assert again[2] == first[2]  # the stored answer is replayed
    [sent] = upstream.pushes()
    digest = hashlib.sha256(f"{CALLER}\norders-sale-2026-11-26".encode()).digest()
    assert sent["MsgRandom"] == int.from_bytes(digest[:4], "big")


def test_dry_run_event_returns_the_body_and_pushes_nothing(upstream: StubHttp) -> None:
    status, headers, body = invoke("push_api_post_dry_run.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert body["dry_run"] is True
    assert without_random(body["upstream_request"]) == wire(
        condition={"TagsOr": ["vip"]},
        OfflinePushInfo={"PushFlag": 0, "Title": "Sale", "Desc": "Sale starts now"},
    )
    assert body["quota"]["used"] == 0
    assert upstream.posts == []


def test_invalid_event_lists_every_problem(upstream: StubHttp) -> None:
    status, headers, body = invoke("push_api_post_invalid.json")
    assert (status, headers["content-type"]) == (422, "application/problem+json")
    assert (body["code"], body["status"]) == ("validation_failed", 422)
    problems = {(e["field"], e.get("upstream_code")) for e in body["errors"]}
    assert problems == {
        ("audience.tags.any[0]", 90040),
        ("audience.tags.any[1]", 90020),
        ("audience.tags.anyy", None),
        ("message", 90002),
        ("offline_ttl_seconds", 90026),
        ("notification.apns.badge", 90043),
    }
    assert upstream.posts == []


def test_not_utf8_event_is_400_invalid_body(upstream: StubHttp) -> None:
    status, headers, body = invoke("push_api_post_not_utf8.json")
    assert (status, headers["content-type"]) == (400, "application/problem+json")
    assert body["code"] == "invalid_body"
    assert upstream.posts == []


def test_quota_event_reports_the_quota_after_a_push(upstream: StubHttp) -> None:
    invoke("push_api_post_all.json")
    status, headers, body = invoke("push_api_get_quota.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert {k: body[k] for k in ("limit", "used", "remaining", "timezone")} == {
        "limit": 100,
        "used": 1,
        "remaining": 99,
        "timezone": "Asia/Shanghai",
    }
    assert body["resets_at"].endswith("T00:00:00+08:00")


def _documented(name: str, status: int, headers: dict[str, str], body: Any) -> None:
    event = load_event(name)
    method, path = event["routeKey"].split(" ", 1)
    raw = json.dumps(body).encode()
    assert response_problems(method, path, status, headers, raw) == []


def test_get_push_event_shows_the_record_of_the_push(upstream: StubHttp) -> None:
    pushed = invoke("push_api_post_idempotent.json")[2]
    status, headers, body = invoke("push_api_get_push.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    assert load_event("push_api_get_push.json")["pathParameters"]["push_id"] == pushed["push_id"]
    assert body["push_id"] == pushed["push_id"]
    assert (body["status"], body["task_id"], body["error"]) == ("submitted", TASK_ID, None)
    assert (body["caller"], body["channel"], body["kind"]) == (CALLER, "http", "broadcast")
    assert body["idempotency_key"] == "orders-sale-2026-11-26"
    assert body["request"] == json.loads(load_event("push_api_post_idempotent.json")["body"])
    _documented("push_api_get_push.json", status, headers, body)


def test_get_push_event_is_404_before_the_push(upstream: StubHttp) -> None:
    status, headers, body = invoke("push_api_get_push.json")
    assert (status, headers["content-type"]) == (404, "application/problem+json")
    assert body["code"] == "push_not_found"
    _documented("push_api_get_push.json", status, headers, body)


def test_list_pushes_event_lists_submitted_pushes_newest_first(upstream: StubHttp) -> None:
    first = invoke("push_api_post_all.json")[2]
    second = invoke("push_api_post_tags_or.json")[2]
    status, headers, body = invoke("push_api_list_pushes.json")
    assert (status, headers["content-type"]) == (200, "application/json")
    listed = [(p["created_at"], p["push_id"]) for p in body["pushes"]]
    assert {push_id for _, push_id in listed} == {first["push_id"], second["push_id"]}
    assert listed == sorted(listed, reverse=True)  # newest first
    assert body["next_cursor"] is None
    _documented("push_api_list_pushes.json", status, headers, body)


def test_cancelling_an_unknown_push_is_404(upstream: StubHttp) -> None:
    status, headers, body = invoke("push_api_delete_push.json")
    assert (status, headers["content-type"]) == (404, "application/problem+json")
    assert body["code"] == "push_not_found"


@pytest.mark.parametrize("date", ["2020-01-01", "tomorrow", "2026-02-30", "9999-12-31"])
def test_quota_of_a_bad_date_is_422_naming_date(upstream: StubHttp, date: str) -> None:
    event = load_event("push_api_get_quota.json")
    event["queryStringParameters"] = {"date": date}
    result = lambda_handler(event, FakeLambdaContext())
    body = json.loads(result["body"])
    assert (result["statusCode"], body["errors"][0]["field"]) == (422, "date")


APPROVER = "arn:aws:iam::123456789012:user/push-approver"  # push_api_post_approve.json's role


def invoke_on(name: str, push_id: str, **iam: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    event = load_event(name)
    event["pathParameters"] = {"push_id": push_id}
    event["requestContext"]["authorizer"]["iam"].update(iam)
    result = lambda_handler(event, FakeLambdaContext())
    headers = {k.lower(): v for k, v in result["headers"].items()}
    status, body = result["statusCode"], json.loads(result["body"])
    _documented(name, status, headers, body)
    return status, headers, body


def test_approval_events_pending_then_approved_and_sent_once(
    upstream: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from push_common import caches

    monkeypatch.setenv("APPROVAL_REQUIRED", "all")
    monkeypatch.setenv("APPROVERS", f"{APPROVER},{CALLER}")
    caches.clear_all()
    status, headers, pending = invoke("push_api_post_idempotent.json")
    _documented("push_api_post_idempotent.json", status, headers, pending)
    assert (status, pending["status"]) == (202, "pending_approval") and upstream.pushes() == []
    push_id = pending["push_id"]
    # The requester (also an approver) may not approve their own push.
    status, headers, refused = invoke_on("push_api_post_approve.json", push_id, userArn=CALLER)
    assert (status, headers["content-type"]) == (403, "application/problem+json")
    assert refused["code"] == "self_approval" and refused["retryable"] is False
    status, _, record = invoke_on("push_api_post_approve.json", push_id)
    assert (status, record["status"], record["task_id"]) == (200, "submitted", TASK_ID)
    assert (record["caller"], record["approved_by"]) == (CALLER, APPROVER)
    assert len(upstream.pushes()) == 1
    status, _, again = invoke_on("push_api_post_approve.json", push_id)
    assert (status, again["code"]) == (409, "not_pending")
    status, _, late = invoke_on("push_api_post_reject.json", push_id)
    assert (status, late["code"]) == (409, "not_pending")
    assert len(upstream.pushes()) == 1


def test_approval_events_reject_by_the_requester(
    upstream: StubHttp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from push_common import caches

    monkeypatch.setenv("APPROVAL_REQUIRED", "all")
    monkeypatch.setenv("APPROVERS", APPROVER)
    caches.clear_all()
    push_id = invoke("push_api_post_idempotent.json")[2]["push_id"]
    other = "arn:aws:iam::123456789012:user/someone-else"
    status, _, refused = invoke_on("push_api_post_reject.json", push_id, userArn=other)
    assert (status, refused["code"]) == (403, "not_an_approver")
    status, _, refused = invoke_on("push_api_post_approve.json", push_id, userArn=other)
    assert (status, refused["code"]) == (403, "not_an_approver")
    status, _, record = invoke_on("push_api_post_reject.json", push_id)  # the requester
    assert (status, record["status"], record["rejected_by"]) == (200, "rejected", CALLER)
    status, _, replay = invoke("push_api_post_idempotent.json")
    assert (status, replay["status"]) == (202, "rejected") and upstream.pushes() == []


def test_approving_an_unknown_push_is_404(upstream: StubHttp) -> None:
    status, _, body = invoke("push_api_post_approve.json")
    assert (status, body["code"]) == (404, "push_not_found")
    _documented(
        "push_api_post_approve.json", status, {"content-type": "application/problem+json"}, body
    )

"""Every `events/push_api_*.json` through the real `lambda_handler` (moto AWS, stub upstream)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto import mock_aws

from devstack.aws import create_table
from devstack.template import TableSpec, load_template, tables
from functions.push_api.handler import lambda_handler
from push_common import caches, tim_client
from tests.conftest import EVENTS, load_event
from tests.lambda_context import FakeLambdaContext
from tests.openapi_spec import response_problems

REGION = "ap-southeast-1"
CALLER = "arn:aws:iam::123456789012:user/orders-service"
TABLE_NAMES = {"QuotaTable": "push-quota", "PushesTable": "push-records"}
TASK_ID = "1400000000_1"
SALE_BODY = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "Sale starts now"}}]


@dataclass(frozen=True)
class StubResponse:
    status: int
    data: bytes


@dataclass
class StubHttp:
    """Stands in for urllib3's PoolManager: answers like Tencent IM and records each POST."""

    posts: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def request(
        self, method: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: Any
    ) -> StubResponse:
        assert method == "POST"
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.posts.append((parts.path, query, json.loads(body)))
        answer: dict[str, Any] = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
        if parts.path.endswith("/im_push"):
            answer["TaskId"] = TASK_ID
        elif parts.path.endswith("/im_get_attr_name"):
            answer["AttrNames"] = {"0": "sex", "1": "city"}
        return StubResponse(200, json.dumps(answer).encode())

    def pushes(self) -> list[dict[str, Any]]:
        return [body for path, _, body in self.posts if path.endswith("/im_push")]


@cache
def table_specs() -> dict[str, TableSpec]:
    """Key schemas as `template.yaml` declares them, so the test tables cannot drift."""
    return tables(load_template())


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """One moto account for the module (creating clients and tables is the slow part)."""
    with mock_aws():
        secret = {"sdkappid": 1400000000, "identifier": "administrator", "key": "k"}
        boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="tim-push-gateway/admin", SecretString=json.dumps(secret)
        )
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for logical_id, spec in table_specs().items():
            create_table(dynamodb, TABLE_NAMES[logical_id], spec)
        yield


@pytest.fixture
def upstream(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[StubHttp]:
    monkeypatch.setenv("PUSH_MIN_INTERVAL_MS", "0")
    monkeypatch.setenv("ALLOWED_SENDERS", "ops-bot")
    caches.clear_all()
    http = StubHttp()
    # The real process-wide client is built, around this stub instead of a connection pool.
    monkeypatch.setattr(tim_client, "TrackedHttp", lambda: http)
    yield http
    _empty_tables()


def _empty_tables() -> None:
    """Each test starts with no quota used and no idempotency records."""
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for logical_id, spec in table_specs().items():
        name = TABLE_NAMES[logical_id]
        keys = [k["AttributeName"] for k in spec.key_schema]
        for item in dynamodb.scan(TableName=name)["Items"]:
            dynamodb.delete_item(TableName=name, Key={k: item[k] for k in keys})


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

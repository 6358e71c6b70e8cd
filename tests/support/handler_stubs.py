"""The push API handler with moto for AWS and a stub for Tencent's HTTP: fixtures `aws` (one moto
account per module, tables from template.yaml) and `upstream` (a `StubHttp` recording each POST)."""

from __future__ import annotations

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
from push_common import caches, tim_client

REGION = "ap-southeast-1"
TABLE_NAMES = {"QuotaTable": "push-quota", "PushesTable": "push-records"}
TASK_ID = "1400000000_1"


@dataclass(frozen=True)
class StubResponse:
    status: int
    data: bytes


@dataclass
class StubHttp:
    """Stands in for urllib3's PoolManager: answers like Tencent IM and records each POST."""

    posts: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    # Scripted answers by path suffix (e.g. "/timpush/revoke"), used before the defaults.
    scripted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def request(
        self, method: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: Any
    ) -> StubResponse:
        assert method == "POST"
        parts = urlsplit(url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.posts.append((parts.path, query, json.loads(body)))
        sent = json.loads(body)
        answer: dict[str, Any] = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
        for suffix, answers in self.scripted.items():
            if parts.path.endswith(suffix) and answers:
                return StubResponse(200, json.dumps({**answer, **answers.pop(0)}).encode())
        if parts.path.endswith(("/im_push", "/timpush/push")):
            answer["TaskId"] = TASK_ID
        elif parts.path.endswith("/timpush/batch"):
            answer["TaskId"] = "batch_" + TASK_ID
        elif parts.path.endswith("/all_member_push_statistics"):
            answer["Results"] = [
                {"TaskID": task, "TotalCount": 3, "SentCount": 3, "DeliveredCount": 2,
                 "ClickCount": 1, "PlatformStatistics": [
                     {"EventType": 1, "PushPlatform": 2, "TotalCount": 3, "SentCount": 3,
                      "DeliveredCount": 2, "ClickCount": 1}]}
                for task in sent.get("TaskID", [])
            ]  # fmt: skip
        elif parts.path.endswith("/im_get_attr_name"):
            answer["AttrNames"] = {"0": "sex", "1": "city"}
        return StubResponse(200, json.dumps(answer).encode())

    def pushes(self) -> list[dict[str, Any]]:
        return [body for path, _, body in self.posts if path.endswith("/im_push")]

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.posts]


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

"""The bare baselines: a push's unavoidable I/O and nothing else (warm and cold benches).

Per push, the same DynamoDB writes the push path makes (push/records.py, quota.py): an
UpdateItem claiming the push record (conditional, returning the old item), the quota UpdateItem
(conditional, the quota's expression), one upstream POST over a pooled connection with a signed
query, and an UpdateItem finishing the record (conditional on the claim). The event path adds
its outcome event (PutEvents). Clients, the admin secret and the UserSig are set up once, as a
warm container has them; a cold child constructs everything in its fresh process.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import boto3
import TLSSigAPIv2
import urllib3
from botocore.config import Config

_CONFIG = Config(connect_timeout=2, read_timeout=3, retries={"mode": "standard", "max_attempts": 3})
_CLAIM = (
    "SET #status = :sending, #created_at = if_not_exists(#created_at, :created), "
    "#list_pk = :list_pk, #caller = :caller, #request = :request, #request_hash = :hash, "
    "#lease_until_ms = :lease, #attempt = :attempt, #expires_at = :expires "
    "REMOVE #answer, #error"
)
_CLAIM_CONDITION = (
    "attribute_not_exists(#push_id) OR (#status = :failed AND #rerunnable = :true AND "
    "#request_hash = :hash)"
)
_FINISH = (
    "SET #status = :status, #answer_status = :answer_status, #answer = :answer, "
    "#task_id = :task_id, #sent_at = :sent_at REMOVE #lease_until_ms"
)
_QUOTA_UPDATE = "SET used = used + :one, last_ms = :now, expires_at = :ttl"
_QUOTA_CONDITION = "day_key = :day AND used < :limit AND last_ms <= :threshold"
_TEXT = {"MsgType": "TIMTextElem", "MsgContent": {"Text": "Bench push"}}
_NAMES = (
    "status", "created_at", "list_pk", "caller", "request", "request_hash", "lease_until_ms",
    "attempt", "expires_at", "answer", "error", "push_id", "rerunnable",
)  # fmt: skip


def seed_quota(env: dict[str, str], *, region: str = "ap-southeast-1") -> dict[str, Any]:
    """Create a quota item for bare pushes (done once, outside any timing); its key."""
    key = {"pk": {"S": f"bare#{uuid.uuid4()}"}}
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
        region_name=region,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    ddb.put_item(
        TableName=env["QUOTA_TABLE"],
        Item={**key, "day_key": {"S": _day()}, "used": {"N": "0"}, "last_ms": {"N": "0"}},
    )
    return key


def _day() -> str:
    return time.strftime("%Y-%m-%d")


class BareTim:
    """Reads the secret, mints the UserSig and POSTs to the upstream over one pool."""

    def __init__(self, env: dict[str, str], *, region: str = "ap-southeast-1") -> None:
        sm = boto3.client(
            "secretsmanager",
            endpoint_url=env["AWS_ENDPOINT_URL_SECRETS_MANAGER"],
            region_name=region,
            config=_CONFIG,
        )
        secret = json.loads(sm.get_secret_value(SecretId=env["TIM_SECRET_ID"])["SecretString"])
        api = TLSSigAPIv2.TLSSigAPIv2(int(secret["sdkappid"]), secret["key"])
        self._query = {
            "sdkappid": secret["sdkappid"],
            "identifier": secret["identifier"],
            "usersig": api.gen_sig(secret["identifier"], 86400),
        }
        self._base = env["TIM_BASE_URL"]
        self._http = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)

    def post(self, command: str, body: dict[str, Any]) -> dict[str, Any]:
        query = {**self._query, "random": secrets.randbits(32), "contenttype": "json"}
        response = self._http.request(
            "POST",
            f"{self._base}/v4/all_member_push/{command}?{urlencode(query)}",
            body=json.dumps(body, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=urllib3.Timeout(connect=2, read=5),
        )
        reply: dict[str, Any] = json.loads(response.data)
        if reply.get("ErrorCode") != 0:
            raise RuntimeError(f"bare {command} refused upstream: {reply}")
        return reply


class BarePush:
    """`push(key)` performs one push's I/O; construct once per process (warm).

    `quota_key` names a quota item seeded beforehand (`seed_quota`); without it one is seeded
    here. `events=True` also puts the outcome event, as the event path does.
    """

    def __init__(
        self,
        env: dict[str, str],
        *,
        region: str = "ap-southeast-1",
        quota_key: dict[str, Any] | None = None,
        events: bool = False,
    ) -> None:
        kwargs: dict[str, Any] = {"region_name": region, "config": _CONFIG}
        self._ddb = boto3.client(
            "dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], **kwargs
        )
        self._events = (
            boto3.client("events", endpoint_url=env["AWS_ENDPOINT_URL_EVENTBRIDGE"], **kwargs)
            if events
            else None
        )
        self._bus = env.get("EVENT_BUS_NAME", "default")
        self._tim = BareTim(env, region=region)
        self._quota_table = env["QUOTA_TABLE"]
        self._records = env["PUSHES_TABLE"]
        self._quota_key = quota_key or seed_quota(env, region=region)

    def push(self, key: str) -> str:
        """One push's I/O; returns the upstream TaskId."""
        push_id = {"push_id": {"S": f"bare#{hashlib.sha256(key.encode()).hexdigest()}"}}
        now_ms = time.time_ns() // 1_000_000
        attempt = str(uuid.uuid4())
        self._claim(push_id, now_ms, attempt)
        self._reserve(now_ms)
        body = {"MsgRandom": secrets.randbits(32), "MsgLifeTime": 0, "MsgBody": [_TEXT]}
        task_id = str(self._tim.post("im_push", body).get("TaskId", ""))
        self._finish(push_id, attempt, task_id)
        if self._events is not None:
            detail = {"push_id": push_id["push_id"]["S"], "task_id": task_id}
            self._events.put_events(
                Entries=[
                    {
                        "Source": "tim-push-gateway",
                        "DetailType": "Push Sent",
                        "Detail": json.dumps(detail),
                        "EventBusName": self._bus,
                    }
                ]
            )
        return task_id

    def _claim(self, push_id: dict[str, Any], now_ms: int, attempt: str) -> None:
        self._ddb.update_item(
            TableName=self._records,
            Key=push_id,
            UpdateExpression=_CLAIM,
            ConditionExpression=_CLAIM_CONDITION,
            ExpressionAttributeNames={f"#{n}": n for n in _NAMES},
            ExpressionAttributeValues={
                ":sending": {"S": "sending"},
                ":failed": {"S": "failed"},
                ":true": {"BOOL": True},
                ":created": {"S": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())},
                ":list_pk": {"S": "push"},
                ":caller": {"S": "bench"},
                ":request": {"S": json.dumps({"audience": {"all": True}, "text": "Bench"})},
                ":hash": {"S": hashlib.sha256(b"bench").hexdigest()},
                ":lease": {"N": str(now_ms + 12000)},
                ":attempt": {"S": attempt},
                ":expires": {"N": str(now_ms // 1000 + 90 * 86400)},
            },
            ReturnValues="UPDATED_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _reserve(self, now_ms: int) -> None:
        self._ddb.update_item(
            TableName=self._quota_table,
            Key=self._quota_key,
            UpdateExpression=_QUOTA_UPDATE,
            ConditionExpression=_QUOTA_CONDITION,
            ExpressionAttributeValues={
                ":day": {"S": _day()},
                ":now": {"N": str(now_ms)},
                ":threshold": {"N": str(now_ms)},
                ":ttl": {"N": str(now_ms // 1000 + 8 * 86400)},
                ":one": {"N": "1"},
                ":limit": {"N": str(10**9)},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _finish(self, push_id: dict[str, Any], attempt: str, task_id: str) -> None:
        names = ("status", "answer_status", "answer", "task_id", "sent_at", "lease_until_ms")
        self._ddb.update_item(
            TableName=self._records,
            Key=push_id,
            UpdateExpression=_FINISH,
            ConditionExpression="#attempt = :attempt AND #status = :sending",
            ExpressionAttributeNames={f"#{n}": n for n in (*names, "attempt")},
            ExpressionAttributeValues={
                ":status": {"S": "submitted"},
                ":answer_status": {"N": "202"},
                ":answer": {"S": json.dumps({"task_id": task_id, "status": "submitted"})},
                ":task_id": {"S": task_id or "-"},
                ":sent_at": {"S": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())},
                ":attempt": {"S": attempt},
                ":sending": {"S": "sending"},
            },
        )

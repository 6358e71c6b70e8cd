"""The bare baselines: a push's unavoidable I/O and nothing else (warm and cold benches).

Per push, the same DynamoDB writes the push path makes (push/records.py, quota.py), word for
word (docs/decisions.md §30): an UpdateItem claiming the push record (conditional, returning the
old item), the quota UpdateItem (conditional, the quota's expression), one upstream POST over a
pooled connection with a signed query, and an UpdateItem finishing the record (conditional on
the claim). The event path adds its outcome event (PutEvents). Clients, the admin secret and the
UserSig are set up once, as a warm container has them; a cold child constructs everything in its
fresh process.
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

# As lean as the gateway's clients (push_common/clients.py): no client-side parameter validation.
_CONFIG = Config(
    connect_timeout=2,
    read_timeout=3,
    retries={"mode": "standard", "max_attempts": 3},
    parameter_validation=False,
)
# The push path's own expressions, word for word (push/records.py, quota.py): a baseline with
# shorter writes would charge the gateway for the emulator's work on its longer ones.
# bench/calls.py fails the run when the two drift apart.
_OPTIONAL = {  # the claim's per-channel attributes
    "http": ("caller_session", "idempotency_key"),
    "event": ("event_source", "idempotency_key", "request_event_id"),
}
_CLAIM_SET = (
    "#status = :sending, #created_at = if_not_exists(#created_at, :created), "
    "#created_ms = if_not_exists(#created_ms, :created_ms), #list_pk = :list_pk, "
    "#list_sk = if_not_exists(#list_sk, :list_sk), #caller = :caller, #channel = :channel, "
    "#kind = :kind, #upstream_api = :api, #request = :request, #request_hash = :hash, "
    "#lease_until_ms = :lease, #attempt = :attempt, #expires_at = :expires"
)
_CLAIM_REMOVE = (
    "answer", "answer_status", "answer_headers", "error", "rerunnable", "approved_by",
    "approved_at", "approval_expires_at", "approval_expires_ms",
)  # fmt: skip
_CLAIM_NAMES = (
    "status", "created_at", "created_ms", "list_pk", "list_sk", "caller", "channel", "kind",
    "upstream_api", "request", "request_hash", "lease_until_ms", "attempt", "expires_at",
)  # fmt: skip
_CLAIM_CONDITION = (
    "attribute_not_exists(#push_id) OR (#status = :failed AND #rerunnable = :true AND "
    "#request_hash = :hash)"
)
_FINISH = (
    "SET #status = :status, #answer_status = :answer_status, #answer = :answer, "
    "#answer_headers = :headers, #rerunnable = :rerunnable, #task_id = :task_id, "
    "#sent_at = :sent_at REMOVE #lease_until_ms"
)
_FINISH_NAMES = (
    "status", "answer_status", "answer", "answer_headers", "rerunnable", "task_id", "sent_at",
    "lease_until_ms", "attempt",
)  # fmt: skip
_QUOTA_UPDATE = (
    "SET last_ms = :now, expires_at = :ttl, #taken = if_not_exists(#taken, :zero) + :one, "
    "used = used + :one"
)
_QUOTA_CONDITION = (
    "(attribute_not_exists(#taken) OR #taken < :limit) AND day_key = :day AND "
    "last_ms <= :threshold AND used < :limit"
)
_TEXT = {"MsgType": "TIMTextElem", "MsgContent": {"Text": "Bench push"}}
_REQUEST = json.dumps(
    {"audience": {"all": True}, "message": {"text": "Bench push"}},
    separators=(",", ":"),
    sort_keys=True,
)
_CALLER = "arn:aws:iam::123456789012:user/bench"
_SOURCE = "bench.orders"
_LIMIT = 10**9
_RETENTION_S = 90 * 86400


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
    here. `events=True` makes the event path's writes (its claim records the event's source
    and id) and also puts the outcome event.
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
        self._channel = "event" if events else "http"
        self._bus = env.get("EVENT_BUS_NAME", "default")
        self._tim = BareTim(env, region=region)
        self._quota_table = env["QUOTA_TABLE"]
        self._records = env["PUSHES_TABLE"]
        self._quota_key = quota_key or seed_quota(env, region=region)

    def push(self, key: str) -> str:
        """One push's I/O; returns the upstream TaskId."""
        push_id = str(uuid.uuid5(uuid.NAMESPACE_URL, key))
        now_ms = time.time_ns() // 1_000_000
        attempt = str(uuid.uuid4())
        event_id = str(uuid.uuid4())
        self._claim(push_id, key, event_id, now_ms, attempt)
        used = self._reserve(now_ms)
        body = {"MsgRandom": secrets.randbits(32), "MsgLifeTime": 0, "MsgBody": [_TEXT]}
        task_id = str(self._tim.post("im_push", body).get("TaskId", ""))
        self._finish(push_id, attempt, task_id, used)
        if self._events is not None:
            detail = {"push_id": push_id, "task_id": task_id, "idempotency_key": key,
                      "request_event_id": event_id, "source": _SOURCE}  # fmt: skip
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

    def _claim(self, push_id: str, key: str, event_id: str, now_ms: int, attempt: str) -> None:
        created = _iso(now_ms)
        optional = {
            "caller_session": _CALLER,
            "event_source": _SOURCE,
            "idempotency_key": key,
            "request_event_id": event_id,
        }
        extra = _OPTIONAL[self._channel]
        update = (
            f"SET {_CLAIM_SET}"
            + "".join(f", #{name} = :{name}" for name in extra)
            + " REMOVE "
            + ", ".join(f"#{name}" for name in _CLAIM_REMOVE)
        )
        names = (*_CLAIM_NAMES, *extra, *_CLAIM_REMOVE, "push_id")
        self._ddb.update_item(
            TableName=self._records,
            Key={"push_id": {"S": push_id}},
            UpdateExpression=update,
            ConditionExpression=_CLAIM_CONDITION,
            ExpressionAttributeNames={f"#{n}": n for n in names},
            ExpressionAttributeValues={
                ":sending": {"S": "sending"},
                ":failed": {"S": "failed"},
                ":true": {"BOOL": True},
                ":hash": {"S": hashlib.sha256(_REQUEST.encode()).hexdigest()},
                ":created": {"S": created},
                ":created_ms": {"N": str(now_ms)},
                ":list_pk": {"S": "push"},
                ":list_sk": {"S": f"{created}#{push_id}"},
                ":caller": {"S": _CALLER if self._channel == "http" else f"event:{_SOURCE}"},
                ":channel": {"S": self._channel},
                ":kind": {"S": "broadcast"},
                ":api": {"S": "all_member_push"},
                ":request": {"S": _REQUEST},
                ":lease": {"N": str(now_ms + 12000)},
                ":attempt": {"S": attempt},
                ":expires": {"N": str(now_ms // 1000 + _RETENTION_S)},
                **{f":{name}": {"S": optional[name]} for name in extra},
            },
            ReturnValues="UPDATED_OLD",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _reserve(self, now_ms: int) -> int:
        """The quota write; the day's count after it."""
        day = _day()
        out = self._ddb.update_item(
            TableName=self._quota_table,
            Key=self._quota_key,
            UpdateExpression=_QUOTA_UPDATE,
            ConditionExpression=_QUOTA_CONDITION,
            ExpressionAttributeValues={
                ":day": {"S": day},
                ":now": {"N": str(now_ms)},
                ":threshold": {"N": str(now_ms)},
                ":ttl": {"N": str(now_ms // 1000 + 8 * 86400)},
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
                ":limit": {"N": str(_LIMIT)},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ExpressionAttributeNames={"#taken": f"taken#{day}"},
        )
        return int(out["Attributes"]["used"]["N"])

    def _finish(self, push_id: str, attempt: str, task_id: str, used: int) -> None:
        answer = {
            "push_id": push_id,
            "quota": {"limit": _LIMIT, "remaining": _LIMIT - used,
                      "resets_at": "2026-12-01T00:00:00+08:00", "used": used},
            "status": "submitted",
            "task_id": task_id,
        }  # fmt: skip
        self._ddb.update_item(
            TableName=self._records,
            Key={"push_id": {"S": push_id}},
            UpdateExpression=_FINISH,
            ConditionExpression="#attempt = :attempt AND #status = :sending",
            ExpressionAttributeNames={f"#{n}": n for n in _FINISH_NAMES},
            ExpressionAttributeValues={
                ":status": {"S": "submitted"},
                ":answer_status": {"N": "202"},
                ":answer": {"S": json.dumps(answer, separators=(",", ":"), sort_keys=True)},
                ":headers": {"S": "{}"},
                ":rerunnable": {"BOOL": False},
                ":attempt": {"S": attempt},
                ":sending": {"S": "sending"},
                ":task_id": {"S": task_id or "-"},
                ":sent_at": {"S": _iso(time.time_ns() // 1_000_000)},
            },
        )


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}Z"

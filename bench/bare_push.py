"""The warm baseline: the unavoidable I/O of one push and nothing else.

Per push: idempotency PutItem (conditional), quota UpdateItem (conditional, the same expression
the quota uses), one upstream POST over a pooled connection with a signed query, idempotency
UpdateItem with the result. Clients, the admin secret and the UserSig are set up once, as a warm
container would have them.
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
_PUT_CONDITION = (
    "attribute_not_exists(#id) OR #expiry < :now OR "
    "(#status = :inprogress AND attribute_exists(#in_progress_expiry) "
    "AND #in_progress_expiry < :now_in_millis)"
)
_QUOTA_UPDATE = "SET used = used + :one, last_ms = :now, expires_at = :ttl"
_QUOTA_CONDITION = "day_key = :day AND used < :limit AND last_ms <= :threshold"
_TEXT = {"MsgType": "TIMTextElem", "MsgContent": {"Text": "Bench push"}}


class BarePush:
    """`push(key)` performs one push's I/O; construct once per process (warm)."""

    def __init__(self, env: dict[str, str], *, region: str = "ap-southeast-1") -> None:
        kwargs: dict[str, Any] = {"region_name": region, "config": _CONFIG}
        self._ddb = boto3.client(
            "dynamodb", endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"], **kwargs
        )
        sm = boto3.client(
            "secretsmanager", endpoint_url=env["AWS_ENDPOINT_URL_SECRETS_MANAGER"], **kwargs
        )
        secret = json.loads(sm.get_secret_value(SecretId=env["TIM_SECRET_ID"])["SecretString"])
        api = TLSSigAPIv2.TLSSigAPIv2(int(secret["sdkappid"]), secret["key"])
        self._query = {
            "sdkappid": secret["sdkappid"],
            "identifier": secret["identifier"],
            "usersig": api.gen_sig(secret["identifier"], 86400),
        }
        self._url = f"{env['TIM_BASE_URL']}/v4/all_member_push/im_push"
        self._http = urllib3.PoolManager(num_pools=2, maxsize=4, retries=False)
        self._quota_table = env["QUOTA_TABLE"]
        self._idem_table = env["PUSHES_TABLE"]
        self._quota_key = {"pk": {"S": f"bare#{uuid.uuid4()}"}}
        self._day = time.strftime("%Y-%m-%d")
        self._ddb.put_item(
            TableName=self._quota_table,
            Item={
                **self._quota_key,
                "day_key": {"S": self._day},
                "used": {"N": "0"},
                "last_ms": {"N": "0"},
            },
        )

    def push(self, key: str) -> str:
        """One push's I/O; returns the upstream TaskId."""
        record = {"push_id": {"S": f"bare#{hashlib.md5(key.encode()).hexdigest()}"}}
        now = time.time()
        self._put_in_progress(record, now)
        self._reserve(int(now * 1000))
        task_id = self._post()
        self._ddb.update_item(
            TableName=self._idem_table,
            Key=record,
            UpdateExpression="SET #d = :d, #e = :e, #s = :s, #v = :v",
            ExpressionAttributeNames={
                "#d": "data",
                "#e": "expiration",
                "#s": "status",
                "#v": "validation",
            },
            ExpressionAttributeValues={
                ":d": {"S": json.dumps({"task_id": task_id, "status": "submitted"})},
                ":e": {"N": str(int(now) + 7 * 86400)},
                ":s": {"S": "COMPLETED"},
                ":v": {"S": hashlib.md5(b"bench").hexdigest()},
            },
        )
        return task_id

    def _put_in_progress(self, record: dict[str, Any], now: float) -> None:
        self._ddb.put_item(
            TableName=self._idem_table,
            Item={
                **record,
                "expiration": {"N": str(int(now) + 7 * 86400)},
                "in_progress_expiration": {"N": str(int(now * 1000) + 12000)},
                "status": {"S": "INPROGRESS"},
                "validation": {"S": hashlib.md5(b"bench").hexdigest()},
            },
            ConditionExpression=_PUT_CONDITION,
            ExpressionAttributeNames={
                "#id": "push_id",
                "#expiry": "expiration",
                "#in_progress_expiry": "in_progress_expiration",
                "#status": "status",
            },
            ExpressionAttributeValues={
                ":now": {"N": str(int(now))},
                ":now_in_millis": {"N": str(int(now * 1000))},
                ":inprogress": {"S": "INPROGRESS"},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _reserve(self, now_ms: int) -> None:
        self._ddb.update_item(
            TableName=self._quota_table,
            Key=self._quota_key,
            UpdateExpression=_QUOTA_UPDATE,
            ConditionExpression=_QUOTA_CONDITION,
            ExpressionAttributeValues={
                ":day": {"S": self._day},
                ":now": {"N": str(now_ms)},
                ":threshold": {"N": str(now_ms)},
                ":ttl": {"N": str(now_ms // 1000 + 8 * 86400)},
                ":one": {"N": "1"},
                ":limit": {"N": str(10**9)},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def _post(self) -> str:
        query = {**self._query, "random": secrets.randbits(32), "contenttype": "json"}
        body = {"MsgRandom": secrets.randbits(32), "MsgLifeTime": 0, "MsgBody": [_TEXT]}
        response = self._http.request(
            "POST",
            f"{self._url}?{urlencode(query)}",
            body=json.dumps(body, separators=(",", ":")).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
            timeout=urllib3.Timeout(connect=2, read=5),
        )
        reply = json.loads(response.data)
        if reply.get("ErrorCode") != 0:
            raise RuntimeError(f"bare push refused upstream: {reply}")
        return str(reply.get("TaskId", ""))

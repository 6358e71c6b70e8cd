"""Per-second upstream limits shared by every Lambda (docs/architecture.md §6.1).

Tencent allows `timpush/revoke` and the statistics calls once per second, `timpush/batch` 30 per
second (docs/upstream.md §1.5). Lambdas run concurrently, so, like the quota interval, the gate
is one item in the quota table (`pk = <name>#<sdkappid>`) holding the time of the last pass; a
pass is ONE conditional UpdateItem that succeeds only when the interval has gone by.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common.aws_errors import as_dependency_error, error_code
from push_common.errors import RateLimited
from push_common.quota import QUOTA_KEY_ATTRIBUTE, TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_ITEM_TTL_SECONDS = 86400


class RateGate:
    """At most one pass per `interval_ms` for one (name, app), across all Lambdas."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        key: str,
        interval_ms: int,
        *,
        now_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
    ) -> None:
        self._client = client
        self._table = table
        self._key = {QUOTA_KEY_ATTRIBUTE: {"S": key}}
        self.interval_ms = interval_ms
        self._now_ms = now_ms

    def try_pass(self) -> int:
        """0 when this call may go now (the pass is recorded), else milliseconds to wait."""
        now = self._now_ms()
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="SET last_ms = :now, #ttl = :ttl",
                ConditionExpression="attribute_not_exists(last_ms) OR last_ms <= :threshold",
                ExpressionAttributeNames={"#ttl": TTL_ATTRIBUTE},
                ExpressionAttributeValues={
                    ":now": {"N": str(now)},
                    ":threshold": {"N": str(now - self.interval_ms)},
                    ":ttl": {"N": str(now // 1000 + _ITEM_TTL_SECONDS)},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise as_dependency_error(exc, service="DynamoDB") from exc
            old: dict[str, Any] = dict(exc.response.get("Item") or {})  # type: ignore[call-overload]
            last = int(old["last_ms"]["N"]) if "last_ms" in old else now
            return max(1, last + self.interval_ms - now)
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service="DynamoDB") from exc
        return 0

    def wait_pass(
        self,
        *,
        max_wait_seconds: float,
        code: str,
        what: str,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """Pass now or after a short wait; else 429 `code` with Retry-After."""
        give_up = monotonic() + max_wait_seconds
        while True:
            wait_ms = self.try_pass()
            if wait_ms == 0:
                return
            pause = wait_ms / 1000 + secrets.randbelow(20) / 1000
            if monotonic() + pause > give_up:
                raise RateLimited(
                    f"{what} is limited to one call per {self.interval_ms} ms across the "
                    "gateway; retry shortly",
                    code=code,
                    retry_after=max(1, math.ceil(wait_ms / 1000)),
                )
            sleep(pause)

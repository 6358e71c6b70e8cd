"""The push quota (docs/architecture.md §6): one DynamoDB item per SDKAppID, reserved by
conditional writes.

The item holds the quota day (in QUOTA_TIMEZONE), the pushes used that day and the time of the
last reservation, so the interval also holds across midnight. Each reservation is ONE conditional
UpdateItem: concurrent Lambdas can never exceed the limit or reserve closer than the interval.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common.aws_errors import as_dependency_error, error_code
from push_common.errors import QuotaExceeded
from push_common.observability import gauge
from push_common.quota_calendar import QuotaCalendar

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

QUOTA_KEY_ATTRIBUTE = "pk"
TTL_ATTRIBUTE = "expires_at"
_ITEM_TTL_SECONDS = 8 * 86400
_RACE_ATTEMPTS = 4


@dataclass(frozen=True)
class QuotaPolicy:
    limit: int
    interval_ms: int
    margin_ms: int
    calendar: QuotaCalendar

    @property
    def min_gap_ms(self) -> int:
        """Reservations are at least this far apart, i.e. strictly more than the interval."""
        return self.interval_ms + self.margin_ms if self.interval_ms > 0 else 0


@dataclass(frozen=True)
class Reservation:
    day: str
    at_ms: int
    used: int


class QuotaStore:
    """Atomic reserve / release / exhaust of one app's daily push quota."""

    def __init__(
        self,
        client: DynamoDBClient,
        table: str,
        app_key: str,
        policy: QuotaPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client, self._table, self._policy, self._clock = client, table, policy, clock
        self._key = {QUOTA_KEY_ATTRIBUTE: {"S": f"quota#{app_key}"}}

    @property
    def policy(self) -> QuotaPolicy:
        return self._policy

    def now_ms(self) -> int:
        return int(self._clock() * 1000)

    def reserve(self) -> Reservation:
        """Take one slot now, or raise QuotaExceeded saying which limit and when to retry."""
        old: dict[str, Any] | None = None
        for _ in range(_RACE_ATTEMPTS):
            now = self.now_ms()
            day = self._policy.calendar.day(now)
            same_day = old is None or old.get("day_key", {}).get("S") == day
            ok, old = self._try_reserve(now, day, same_day=same_day)
            if ok:
                used = int(old["used"]["N"])
                gauge("QuotaUsed", used)  # operator dashboard: slots used today, after this one
                return Reservation(day=day, at_ms=now, used=used)
            self._raise_if_refused(old, now, day)
        raise QuotaExceeded("quota item is contended; retry", code="push_interval", retry_after=1)

    def release(self, reservation: Reservation) -> None:
        """Give back a slot whose push definitely created no upstream task."""
        self._update(
            "SET used = used - :one",
            "day_key = :day AND used > :zero",
            {":one": {"N": "1"}, ":zero": {"N": "0"}, ":day": {"S": reservation.day}},
        )

    def mark_exhausted(self, day: str) -> None:
        """Upstream said 90047: believe it, the rest of `day` is used up."""
        self._update(
            "SET day_key = :day, used = :limit",
            "attribute_not_exists(day_key) OR day_key <= :day",
            {":day": {"S": day}, ":limit": {"N": str(self._policy.limit)}},
        )

    def note_upstream_push(self, at_ms: int) -> None:
        """Upstream said 90024: a push happened more recently than we recorded."""
        self._update("SET last_ms = :at", "last_ms < :at", {":at": {"N": str(at_ms)}})

    def snapshot(self) -> QuotaSnapshot:
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise as_dependency_error(exc, service="DynamoDB") from exc
        return self._snapshot(item.get("Item") or {}, self.now_ms())

    def _snapshot(self, item: dict[str, Any], now: int) -> QuotaSnapshot:
        calendar, policy = self._policy.calendar, self._policy
        today = calendar.day(now)
        used = int(item["used"]["N"]) if item.get("day_key", {}).get("S") == today else 0
        last = int(item["last_ms"]["N"]) if "last_ms" in item else None
        not_before = None
        if last is not None and last + policy.min_gap_ms > now:
            not_before = datetime.fromtimestamp((last + policy.min_gap_ms) / 1000, calendar.zone)
        return QuotaSnapshot(
            limit=policy.limit,
            used=min(used, policy.limit),
            resets_at=calendar.next_reset(today),
            next_push_not_before=not_before,
            timezone=calendar.zone.key,
        )

    def _try_reserve(self, now: int, day: str, *, same_day: bool) -> tuple[bool, dict[str, Any]]:
        values: dict[str, Any] = {
            ":day": {"S": day},
            ":now": {"N": str(now)},
            ":threshold": {"N": str(now - self._policy.min_gap_ms)},
            ":ttl": {"N": str(now // 1000 + _ITEM_TTL_SECONDS)},
            ":one": {"N": "1"},
        }
        if same_day:
            values[":limit"] = {"N": str(self._policy.limit)}
            update = "SET used = used + :one, last_ms = :now, expires_at = :ttl"
            condition = "day_key = :day AND used < :limit AND last_ms <= :threshold"
        else:
            update = "SET day_key = :day, used = :one, last_ms = :now, expires_at = :ttl"
            condition = (
                "(attribute_not_exists(day_key) OR day_key <> :day) AND "
                "(attribute_not_exists(last_ms) OR last_ms <= :threshold)"
            )
        return self._conditional(update, condition, values)

    def _raise_if_refused(self, old: dict[str, Any], now: int, day: str) -> None:
        if old.get("day_key", {}).get("S") == day and int(old["used"]["N"]) >= self._policy.limit:
            raise QuotaExceeded(
                f"the daily limit of {self._policy.limit} pushes is used up",
                code="daily_quota_exhausted",
                retry_after=self._policy.calendar.seconds_until_reset(now),
            )
        if "last_ms" in old:
            wait_ms = int(old["last_ms"]["N"]) + self._policy.min_gap_ms - now
            if wait_ms > 0:
                raise IntervalWait(wait_ms)

    def _conditional(
        self, update: str, condition: str, values: dict[str, Any]
    ) -> tuple[bool, dict[str, Any]]:
        try:
            out = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise as_dependency_error(exc, service="DynamoDB") from exc
            return False, self._old_item(exc)
        except BotoCoreError as exc:
            raise as_dependency_error(exc, service="DynamoDB") from exc
        return True, dict(out.get("Attributes") or {})

    def _old_item(self, exc: ClientError) -> dict[str, Any]:
        item: Any = exc.response.get("Item")
        if isinstance(item, dict):
            return item
        # Emulators without ReturnValuesOnConditionCheckFailure: read the item instead.
        try:
            got = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as read_failed:
            raise as_dependency_error(read_failed, service="DynamoDB") from read_failed
        return dict(got.get("Item") or {})

    def _update(self, update: str, condition: str, values: dict[str, Any]) -> None:
        self._conditional(update, condition, values)


class IntervalWait(QuotaExceeded):
    """The interval has not passed; `wait_ms` says how long until it has."""

    def __init__(self, wait_ms: int) -> None:
        super().__init__(
            "pushes must be more than the minimum interval apart",
            code="push_interval",
            retry_after=max(1, math.ceil(wait_ms / 1000)),
        )
        self.wait_ms = wait_ms


@dataclass(frozen=True)
class QuotaSnapshot:
    """What `GET /v1/quota` reports (docs/architecture.md §3.2)."""

    limit: int
    used: int
    resets_at: datetime
    next_push_not_before: datetime | None
    timezone: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "used": self.used,
            "remaining": max(0, self.limit - self.used),
            "resets_at": self.resets_at.isoformat(),
            "next_push_not_before": (
                None if self.next_push_not_before is None else self.next_push_not_before.isoformat()
            ),
            "timezone": self.timezone,
        }

    def brief(self) -> dict[str, Any]:
        """The `quota` object of a push response."""
        full = self.to_dict()
        return {k: full[k] for k in ("limit", "used", "remaining", "resets_at")}

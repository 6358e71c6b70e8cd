"""The push quota (docs/architecture.md §6): one DynamoDB item per SDKAppID, reserved by
conditional writes.

The item holds the quota day (in QUOTA_TIMEZONE), the pushes used that day and the time of the
last reservation, so the interval also holds across midnight. Each reservation is ONE conditional
UpdateItem: concurrent Lambdas can never exceed the limit or reserve closer than the interval.

Scheduled pushes (docs/architecture.md §14) add two counters per quota day to the same item:
`held#<day>` (slots held by pushes still scheduled for that day) and `taken#<day>` (slots sent
that day + slots held for it). Every write that adds a push to a day checks `taken#<day> < limit`,
so sent + scheduled never exceeds the limit, whoever writes concurrently.

Caller budgets (docs/architecture.md §15, `quota_pools`) add the same two counters per pool and
day, checked against the pool's budget in the very same write.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from push_common.aws_errors import as_dependency_error, error_code
from push_common.errors import QuotaExceeded, ScheduleDayFull
from push_common.observability import gauge, logger
from push_common.quota_calendar import QuotaCalendar
from push_common.quota_pools import (
    Budgets,
    Pool,
    PoolUse,
    pool_held_attribute,
    pool_taken_attribute,
)
from push_common.settings import SHARED_POOL, Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

QUOTA_KEY_ATTRIBUTE = "pk"
TTL_ATTRIBUTE = "expires_at"
_ITEM_TTL_DAYS = 8
_RACE_ATTEMPTS = 4
_NAMES_TAKEN = "#taken"
_NAMES_HELD = "#held"
_NAMES_POOL_TAKEN = "#pool_taken"
_NAMES_POOL_HELD = "#pool_held"
# Per-day counters whose day is older than yesterday are pruned (a late schedule retry is at
# most minutes old), so the item does not grow by a few attributes every day.
_COUNTER_PREFIXES = ("taken#", "held#", "pool_taken#", "pool_held#")
_PRUNE_PER_WRITE = 50


def taken_attribute(day: str) -> str:
    """Slots sent on `day` plus slots held for it by scheduled pushes."""
    return f"taken#{day}"


def held_attribute(day: str) -> str:
    """Slots held for `day` by pushes still scheduled for it."""
    return f"held#{day}"


def _number(item: dict[str, Any], name: str) -> int:
    return int(item.get(name, {}).get("N", "0"))


@dataclass(frozen=True)
class QuotaPolicy:
    limit: int
    interval_ms: int
    margin_ms: int
    calendar: QuotaCalendar
    # The item must outlive the furthest scheduled day (SCHEDULE_MAX_DAYS).
    schedule_max_days: int = 0
    budgets: Budgets | None = None

    @classmethod
    def of(cls, settings: Settings) -> QuotaPolicy:
        """The policy the environment configures (docs/architecture.md §5, §15)."""
        shares = settings.budget_shares
        return cls(
            limit=settings.push_daily_limit,
            interval_ms=settings.push_min_interval_ms,
            margin_ms=settings.quota_safety_margin_ms,
            calendar=QuotaCalendar(settings.zone),
            schedule_max_days=settings.schedule_max_days,
            budgets=Budgets(settings.push_daily_limit, shares) if shares else None,
        )

    def pool_of(self, caller: str) -> Pool | None:
        """The budget pool of `caller`; None without QUOTA_BUDGETS."""
        return None if self.budgets is None else self.budgets.pool_of(caller)

    @property
    def min_gap_ms(self) -> int:
        """Reservations are at least this far apart, i.e. strictly more than the interval."""
        return self.interval_ms + self.margin_ms if self.interval_ms > 0 else 0

    def day_snapshot(
        self,
        day: str,
        *,
        used: int,
        scheduled: int,
        not_before: datetime | None = None,
        caller: PoolUse | None = None,
    ) -> QuotaSnapshot:
        """The quota object of `day` (`GET /v1/quota` and the `quota` of push answers)."""
        return QuotaSnapshot(
            limit=self.limit,
            used=used,
            scheduled=scheduled,
            resets_at=self.calendar.next_reset(day),
            next_push_not_before=not_before,
            timezone=self.calendar.zone.key,
            caller=caller,
        )


@dataclass(frozen=True)
class Reservation:
    day: str
    at_ms: int
    used: int
    scheduled: int = 0  # slots of `day` still held by scheduled pushes, after this reservation
    pool: str | None = None  # the budget pool it was taken from (docs/architecture.md §15)


@dataclass(frozen=True)
class HeldSlot:
    """A slot held on `day` for a scheduled push."""

    day: str
    used: int
    scheduled: int
    pool: str | None = None


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

    def reserve(self, pool: Pool | None = None) -> Reservation:
        """Take one free slot now, or raise QuotaExceeded saying which limit and when to retry.

        A slot held by a scheduled push is never free: `taken#<today>` counts it. With a `pool`
        the slot also counts against its budget (`caller_budget_exhausted` when spent)."""
        return self._take(check_used=True, pool=pool)

    def _take(
        self,
        *,
        check_used: bool,
        extra_set: tuple[str, ...] = (),
        extra_condition: tuple[str, ...] = (),
        extra_names: dict[str, str] | None = None,
        count_taken: bool = True,
        pool: Pool | None = None,
        refused: Callable[[dict[str, Any], int, str], None] | None = None,
    ) -> Reservation:
        old: dict[str, Any] | None = None
        checked = pool if count_taken else None

        def refuse(item: dict[str, Any], now: int, day: str) -> None:
            if refused is None:
                self._raise_if_refused(item, now, day, checked)
            else:
                refused(item, now, day)

        if checked is not None and checked.budget <= 0:
            # A pool without a share (every push reserved for listed callers): refused locally,
            # as the write would be (an empty item: its pool counter 0 already reaches 0).
            now = self.now_ms()
            refuse({}, now, self._policy.calendar.day(now))
        for _ in range(_RACE_ATTEMPTS):
            now = self.now_ms()
            day = self._policy.calendar.day(now)
            same_day = old is None or old.get("day_key", {}).get("S") == day
            ok, old = self._try_reserve(
                now,
                day,
                same_day=same_day,
                check_used=check_used,
                extra_set=extra_set,
                extra_condition=extra_condition,
                extra_names=extra_names or {},
                count_taken=count_taken,
                pool=pool,
            )
            if ok:
                used = int(old["used"]["N"])
                gauge("QuotaUsed", used)  # operator dashboard: slots used today, after this one
                held = _number(old, held_attribute(day))
                self._prune(old, day)
                return Reservation(
                    day=day,
                    at_ms=now,
                    used=used,
                    scheduled=held,
                    pool=None if pool is None else pool.name,
                )
            refuse(old, now, day)
        raise QuotaExceeded("quota item is contended; retry", code="push_interval", retry_after=1)

    def release(self, reservation: Reservation) -> None:
        """Give back a slot whose push definitely created no upstream task."""
        sets = [
            "used = used - :one",
            f"{_NAMES_TAKEN} = if_not_exists({_NAMES_TAKEN}, :one) - :one",
        ]
        names = {_NAMES_TAKEN: taken_attribute(reservation.day)}
        if reservation.pool is not None:
            sets.append(f"{_NAMES_POOL_TAKEN} = if_not_exists({_NAMES_POOL_TAKEN}, :one) - :one")
            names[_NAMES_POOL_TAKEN] = pool_taken_attribute(reservation.day, reservation.pool)
        self._update(
            "SET " + ", ".join(sets),
            "day_key = :day AND used > :zero",
            {":one": {"N": "1"}, ":zero": {"N": "0"}, ":day": {"S": reservation.day}},
            names,
        )

    def mark_exhausted(self, day: str) -> None:
        """Upstream said 90047: believe it, the rest of `day` is used up."""
        self._update(
            f"SET day_key = :day, used = :limit, {_NAMES_TAKEN} = :limit",
            "attribute_not_exists(day_key) OR day_key <= :day",
            {":day": {"S": day}, ":limit": {"N": str(self._policy.limit)}},
            {_NAMES_TAKEN: taken_attribute(day)},
        )

    # --- scheduled pushes (docs/architecture.md §14) -------------------------------------------

    def hold(self, day: str, pool: Pool | None = None) -> HeldSlot:
        """Hold a slot of `day` for a scheduled push: one conditional write, or 409
        `schedule_day_full` when sent + scheduled on that day already reach the limit (429
        `caller_budget_exhausted` when they reach the budget of the caller's `pool`)."""
        now = self.now_ms()
        if pool is not None and pool.budget <= 0:
            self._raise_budget_spent(pool, now, day)
        values: dict[str, Any] = {
            ":day": {"S": day},
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":limit": {"N": str(self._policy.limit)},
            ":ttl": {"N": str(self._ttl(now))},
        }
        names = {_NAMES_TAKEN: taken_attribute(day), _NAMES_HELD: held_attribute(day)}
        sets = [
            f"{_NAMES_HELD} = if_not_exists({_NAMES_HELD}, :zero) + :one",
            f"{_NAMES_TAKEN} = if_not_exists({_NAMES_TAKEN}, :zero) + :one",
            "expires_at = :ttl",
        ]
        conditions = [
            f"(attribute_not_exists({_NAMES_TAKEN}) OR {_NAMES_TAKEN} < :limit)",
            # `used` guards today's pushes counted before the per-day counters existed.
            "(attribute_not_exists(day_key) OR day_key <> :day OR used < :limit)",
        ]
        if pool is not None:
            names[_NAMES_POOL_TAKEN] = pool.taken_attribute(day)
            names[_NAMES_POOL_HELD] = pool.held_attribute(day)
            values[":budget"] = {"N": str(pool.budget)}
            sets += [
                f"{_NAMES_POOL_HELD} = if_not_exists({_NAMES_POOL_HELD}, :zero) + :one",
                f"{_NAMES_POOL_TAKEN} = if_not_exists({_NAMES_POOL_TAKEN}, :zero) + :one",
            ]
            conditions.append(
                f"(attribute_not_exists({_NAMES_POOL_TAKEN}) OR {_NAMES_POOL_TAKEN} < :budget)"
            )
        ok, item = self._conditional(
            "SET " + ", ".join(sets), " AND ".join(conditions), values, names
        )
        used = int(item["used"]["N"]) if item.get("day_key", {}).get("S") == day else 0
        if not ok:
            if (
                pool is not None
                and max(used, _number(item, taken_attribute(day))) < self._policy.limit
            ):
                self._raise_if_pool_spent(item, now, day, pool)
            raise ScheduleDayFull(
                f"{day} has no push slot left: pushes sent and scheduled that day reach the "
                f"daily limit of {self._policy.limit}"
            )
        return HeldSlot(
            day=day,
            used=used,
            scheduled=_number(item, held_attribute(day)),
            pool=None if pool is None else pool.name,
        )

    def unhold(self, day: str, pool: str | None = None) -> bool:
        """Give back the slot a scheduled push held on `day` (cancelled or no longer valid),
        and to the budget `pool` it was held from."""
        names = {_NAMES_TAKEN: taken_attribute(day), _NAMES_HELD: held_attribute(day)}
        sets = [f"{_NAMES_HELD} = {_NAMES_HELD} - :one", f"{_NAMES_TAKEN} = {_NAMES_TAKEN} - :one"]
        if pool is not None:
            names[_NAMES_POOL_HELD] = pool_held_attribute(day, pool)
            names[_NAMES_POOL_TAKEN] = pool_taken_attribute(day, pool)
            sets += [
                f"{_NAMES_POOL_HELD} = if_not_exists({_NAMES_POOL_HELD}, :one) - :one",
                f"{_NAMES_POOL_TAKEN} = if_not_exists({_NAMES_POOL_TAKEN}, :one) - :one",
            ]
        ok, _ = self._conditional(
            "SET " + ", ".join(sets),
            f"{_NAMES_HELD} > :zero",
            {":one": {"N": "1"}, ":zero": {"N": "0"}},
            names,
        )
        if not ok:
            logger.error("no held slot to give back", day=day)
        return ok

    def fire(
        self, held_day: str, held_pool: str | None = None, pool: Pool | None = None
    ) -> Reservation:
        """A scheduled push fires: its held slot becomes a used one, keeping the interval.

        On `held_day` the held slot is used (no free slot needed; the slot already counts
        against `held_pool`). After that day has ended (a late retry) the old slot is given
        back (to `held_pool` too) and a FREE slot of today is taken, from the caller's current
        `pool`, in the same write, or QuotaExceeded `schedule_missed` is raised. IntervalWait
        like `reserve`.
        """
        today = self._policy.calendar.day(self.now_ms())
        missed = self._missed_refusal(pool)
        if today == held_day:
            sets = [f"{_NAMES_HELD} = {_NAMES_HELD} - :one"]
            names = {_NAMES_HELD: held_attribute(held_day)}
            if held_pool is not None:
                sets.append("#old_pool_held = if_not_exists(#old_pool_held, :one) - :one")
                names["#old_pool_held"] = pool_held_attribute(held_day, held_pool)
            try:
                reservation = self._take(
                    check_used=False,
                    count_taken=False,
                    extra_set=tuple(sets),
                    extra_condition=(f"{_NAMES_HELD} > :zero",),
                    extra_names=names,
                    refused=self._raise_if_not_held,
                )
            except _NotHeld:
                logger.error("scheduled push fires without a held slot", day=held_day)
                return self._take(check_used=True, pool=pool, refused=missed)
            return Reservation(
                day=reservation.day,
                at_ms=reservation.at_ms,
                used=reservation.used,
                scheduled=reservation.scheduled,
                pool=held_pool,
            )
        sets = [
            "#old_held = if_not_exists(#old_held, :one) - :one",
            "#old_taken = if_not_exists(#old_taken, :one) - :one",
        ]
        names = {"#old_held": held_attribute(held_day), "#old_taken": taken_attribute(held_day)}
        if held_pool is not None:
            sets += [
                "#old_pool_held = if_not_exists(#old_pool_held, :one) - :one",
                "#old_pool_taken = if_not_exists(#old_pool_taken, :one) - :one",
            ]
            names["#old_pool_held"] = pool_held_attribute(held_day, held_pool)
            names["#old_pool_taken"] = pool_taken_attribute(held_day, held_pool)
        return self._take(
            check_used=True, extra_set=tuple(sets), extra_names=names, pool=pool, refused=missed
        )

    def _raise_if_not_held(self, old: dict[str, Any], now: int, day: str) -> None:
        # The slot is held, so only the interval (or a lost slot) can refuse this write.
        if _number(old, held_attribute(day)) <= 0:
            raise _NotHeld
        self._raise_if_interval(old, now)

    def _missed_refusal(self, pool: Pool | None) -> Callable[[dict[str, Any], int, str], None]:
        def refused(old: dict[str, Any], now: int, day: str) -> None:
            try:
                self._raise_if_refused(old, now, day, pool)
            except IntervalWait:
                raise
            except QuotaExceeded as full:
                raise QuotaExceeded(
                    "the scheduled push fired after its quota day and today has no free slot"
                    + (" in its caller's budget" if full.code == "caller_budget_exhausted" else ""),
                    code="schedule_missed",
                    retry_after=full.retry_after,
                ) from None

        return refused

    def _ttl(self, now: int) -> int:
        return now // 1000 + (_ITEM_TTL_DAYS + self._policy.schedule_max_days) * 86400

    def note_upstream_push(self, at_ms: int) -> None:
        """Upstream said 90024: a push happened more recently than we recorded."""
        self._update("SET last_ms = :at", "last_ms < :at", {":at": {"N": str(at_ms)}})

    def snapshot(self, day: str | None = None, *, caller: str | None = None) -> QuotaSnapshot:
        """Today's quota, or that of `day` (a later day: `used` 0, no interval to wait); with
        `caller`, also that caller's share of it (`caller`: its pool, or `shared`)."""
        try:
            item = self._client.get_item(TableName=self._table, Key=self._key, ConsistentRead=True)
        except (ClientError, BotoCoreError) as exc:
            raise as_dependency_error(exc, service="DynamoDB") from exc
        return self._snapshot(item.get("Item") or {}, self.now_ms(), day, caller)

    def _snapshot(
        self, item: dict[str, Any], now: int, day: str | None = None, caller: str | None = None
    ) -> QuotaSnapshot:
        calendar, policy = self._policy.calendar, self._policy
        today = calendar.day(now)
        day = day or today
        used = int(item["used"]["N"]) if item.get("day_key", {}).get("S") == day else 0
        last = int(item["last_ms"]["N"]) if "last_ms" in item else None
        not_before = None
        if day == today and last is not None and last + policy.min_gap_ms > now:
            not_before = datetime.fromtimestamp((last + policy.min_gap_ms) / 1000, calendar.zone)
        used, scheduled = min(used, policy.limit), max(0, _number(item, held_attribute(day)))
        share = None
        if caller is not None:
            pool = policy.pool_of(caller)
            if pool is None:  # no budgets: every caller shares the whole day
                share = PoolUse(SHARED_POOL, policy.limit, used, scheduled)
            else:
                held = max(0, _number(item, pool.held_attribute(day)))
                taken = max(0, _number(item, pool.taken_attribute(day)))
                share = PoolUse(pool.name, pool.budget, max(0, taken - held), held)
        return policy.day_snapshot(
            day, used=used, scheduled=scheduled, not_before=not_before, caller=share
        )

    def _prune(self, item: dict[str, Any], today: str) -> None:
        """Remove per-day counters of days before yesterday (best effort, see the top)."""
        yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
        stale = [
            name
            for name in item
            if name.startswith(_COUNTER_PREFIXES) and name.split("#")[1][:10] < yesterday
        ][:_PRUNE_PER_WRITE]
        if not stale:
            return
        names = {f"#s{i}": name for i, name in enumerate(stale)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression="REMOVE " + ", ".join(names),
                ExpressionAttributeNames=names,
            )
        except (ClientError, BotoCoreError):
            logger.warning("old quota counters not pruned", count=len(stale))

    def _try_reserve(
        self,
        now: int,
        day: str,
        *,
        same_day: bool,
        check_used: bool = True,
        extra_set: tuple[str, ...] = (),
        extra_condition: tuple[str, ...] = (),
        extra_names: dict[str, str] | None = None,
        count_taken: bool = True,
        pool: Pool | None = None,
    ) -> tuple[bool, dict[str, Any]]:
        values: dict[str, Any] = {
            ":day": {"S": day},
            ":now": {"N": str(now)},
            ":threshold": {"N": str(now - self._policy.min_gap_ms)},
            ":ttl": {"N": str(self._ttl(now))},
            ":one": {"N": "1"},
            ":zero": {"N": "0"},
            ":limit": {"N": str(self._policy.limit)},
        }
        names = {**(extra_names or {})}
        sets = ["last_ms = :now", "expires_at = :ttl", *extra_set]
        conditions = list(extra_condition)
        if count_taken:
            names[_NAMES_TAKEN] = taken_attribute(day)
            sets.append(f"{_NAMES_TAKEN} = if_not_exists({_NAMES_TAKEN}, :zero) + :one")
            conditions.append(f"(attribute_not_exists({_NAMES_TAKEN}) OR {_NAMES_TAKEN} < :limit)")
            if pool is not None:
                names[_NAMES_POOL_TAKEN] = pool.taken_attribute(day)
                values[":budget"] = {"N": str(pool.budget)}
                sets.append(
                    f"{_NAMES_POOL_TAKEN} = if_not_exists({_NAMES_POOL_TAKEN}, :zero) + :one"
                )
                conditions.append(
                    f"(attribute_not_exists({_NAMES_POOL_TAKEN}) OR {_NAMES_POOL_TAKEN} < :budget)"
                )
        if same_day:
            sets.append("used = used + :one")
            conditions.append("day_key = :day AND last_ms <= :threshold")
            if check_used:
                conditions.append("used < :limit")
        else:
            sets += ["day_key = :day", "used = :one"]
            conditions += [
                "(attribute_not_exists(day_key) OR day_key <> :day)",
                "(attribute_not_exists(last_ms) OR last_ms <= :threshold)",
            ]
        update = "SET " + ", ".join(sets)
        if not any(":zero" in part for part in (*sets, *conditions)):
            del values[":zero"]
        if not any(":limit" in part for part in conditions):
            del values[":limit"]
        return self._conditional(update, " AND ".join(conditions), values, names)

    def _raise_if_refused(
        self, old: dict[str, Any], now: int, day: str, pool: Pool | None = None
    ) -> None:
        """Which limit refused the write: the day's, the caller's budget, then the interval."""
        limit = self._policy.limit
        used_up = old.get("day_key", {}).get("S") == day and int(old["used"]["N"]) >= limit
        if used_up or _number(old, taken_attribute(day)) >= limit:
            held = _number(old, held_attribute(day))
            raise QuotaExceeded(
                f"the daily limit of {limit} pushes is used up"
                + (f" ({held} slots are held by scheduled pushes)" if held > 0 else ""),
                code="daily_quota_exhausted",
                retry_after=self._policy.calendar.seconds_until_reset(now),
            )
        if pool is not None:
            self._raise_if_pool_spent(old, now, day, pool)
        self._raise_if_interval(old, now)

    def _raise_if_pool_spent(self, old: dict[str, Any], now: int, day: str, pool: Pool) -> None:
        if _number(old, pool.taken_attribute(day)) >= pool.budget:
            self._raise_budget_spent(pool, now, day)

    def _raise_budget_spent(self, pool: Pool, now: int, day: str) -> None:
        whose = (
            "the callers not listed in QUOTA_BUDGETS share"
            if pool.name == SHARED_POOL
            else f"{pool.name} has a budget of"
        )
        raise QuotaExceeded(
            f"caller budget used up: {whose} {pool.budget} pushes a day (QUOTA_BUDGETS), "
            f"all sent or scheduled for {day}",
            code="caller_budget_exhausted",
            retry_after=self._policy.calendar.seconds_until_reset(now),
        )

    def _raise_if_interval(self, old: dict[str, Any], now: int) -> None:
        if "last_ms" in old:
            wait_ms = int(old["last_ms"]["N"]) + self._policy.min_gap_ms - now
            if wait_ms > 0:
                raise IntervalWait(wait_ms)

    def _conditional(
        self,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> tuple[bool, dict[str, Any]]:
        extra: dict[str, Any] = {"ExpressionAttributeNames": names} if names else {}
        try:
            out = self._client.update_item(
                TableName=self._table,
                Key=self._key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **extra,
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

    def _update(
        self,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> None:
        self._conditional(update, condition, values, names)


class _NotHeld(Exception):
    """The push fired but its day holds no slot for it any more."""


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
    scheduled: int = 0  # pushes still scheduled for this day (docs/architecture.md §14)
    caller: PoolUse | None = None  # the asking caller's budget (docs/architecture.md §15)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "limit": self.limit,
            "used": self.used,
            "scheduled": self.scheduled,
            "remaining": max(0, self.limit - self.used - self.scheduled),
            "resets_at": self.resets_at.isoformat(),
            "next_push_not_before": (
                None if self.next_push_not_before is None else self.next_push_not_before.isoformat()
            ),
            "timezone": self.timezone,
        }
        if self.caller is not None:
            out["caller"] = self.caller.to_dict()
        return out

    def brief(self) -> dict[str, Any]:
        """The `quota` object of a push response."""
        full = self.to_dict()
        return {k: full[k] for k in ("limit", "used", "remaining", "resets_at")}

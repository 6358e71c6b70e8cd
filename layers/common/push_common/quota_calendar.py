"""Day arithmetic of the quota: days and resets in the configured IANA time zone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuotaCalendar:
    zone: ZoneInfo

    def day(self, now_ms: int) -> str:
        """The quota day containing `now_ms`, as YYYY-MM-DD in the zone."""
        return datetime.fromtimestamp(now_ms / 1000, self.zone).date().isoformat()

    def next_reset(self, day: str) -> datetime:
        """Midnight (zone time) that ends `day`."""
        following = date.fromisoformat(day) + timedelta(days=1)
        return datetime.combine(following, time(0), tzinfo=self.zone)

    def seconds_since_reset(self, now_ms: int) -> float:
        """How long ago the quota day containing `now_ms` began."""
        start = datetime.combine(date.fromisoformat(self.day(now_ms)), time(0), tzinfo=self.zone)
        return now_ms / 1000 - start.timestamp()

    def seconds_until_reset(self, now_ms: int) -> int:
        reset_ms = self.next_reset(self.day(now_ms)).timestamp() * 1000
        return max(1, math.ceil((reset_ms - now_ms) / 1000))


@dataclass(frozen=True)
class QuotaSnapshot:
    """What `GET /v1/quota` reports (design §3.2)."""

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

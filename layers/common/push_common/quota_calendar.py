"""Day arithmetic of the quota: days and resets in the configured IANA time zone."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
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

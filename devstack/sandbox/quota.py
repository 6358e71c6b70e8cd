"""im_push limits as Tencent applies them: daily quota, minimum interval, MsgRandom de-dup."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from devstack.sandbox.errors import ApiError

# Tencent's newer docs de-duplicate a MsgRandom "within one second", older ones for 7 days; the
# sandbox takes the strict reading by default (docs/upstream.md §9).
DEDUP_WINDOW_SECONDS = 1.0


class PushQuota:
    """At most `daily_limit` accepted pushes per calendar day in `timezone`, each more than
    `min_interval_ms` after the previous one (the interval spans midnight)."""

    def __init__(self, daily_limit: int, min_interval_ms: int, timezone: str) -> None:
        self.daily_limit = daily_limit
        self.min_interval_ms = min_interval_ms
        self.zone = ZoneInfo(timezone)
        self.reset()

    def reset(self) -> None:
        """Forget every push."""
        self.day = ""
        self.used = 0
        self.last_at: float | None = None

    def day_of(self, now: float) -> str:
        """Calendar day of `now` in the quota's timezone."""
        return datetime.fromtimestamp(now, self.zone).date().isoformat()

    def used_on(self, now: float) -> int:
        """Pushes accepted on the day of `now`."""
        return self.used if self.day == self.day_of(now) else 0

    def check(self, now: float) -> None:
        """90047 when the day's quota is used up, 90024 when too close to the last push."""
        if self.used_on(now) >= self.daily_limit:
            raise ApiError(90047, f"daily push limit of {self.daily_limit} reached")
        if self._too_soon(now):
            raise ApiError(90024, f"pushes must be more than {self.min_interval_ms} ms apart")

    def _too_soon(self, now: float) -> bool:
        last = self.last_at
        return (
            self.min_interval_ms > 0
            and last is not None
            and (now - last) * 1000 <= self.min_interval_ms
        )

    def consume(self, now: float) -> None:
        """Count one accepted push at `now`."""
        day = self.day_of(now)
        self.used = self.used + 1 if day == self.day else 1
        self.day = day
        self.last_at = now


class Dedup:
    """TaskIds of accepted pushes by MsgRandom, remembered for `window_seconds`."""

    def __init__(self, window_seconds: float = DEDUP_WINDOW_SECONDS) -> None:
        self.window_seconds = window_seconds
        self.tasks: dict[int, tuple[str, float]] = {}
        self.hits = 0

    def lookup(self, msg_random: int, now: float) -> str | None:
        """The TaskId of a push with this MsgRandom accepted within the window (counts a hit)."""
        entry = self.tasks.get(msg_random)
        if entry is None or now - entry[1] > self.window_seconds:
            return None
        self.hits += 1
        return entry[0]

    def remember(self, msg_random: int, task_id: str, now: float) -> None:
        """Record an accepted push."""
        self.tasks[msg_random] = (task_id, now)

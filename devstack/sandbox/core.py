"""The sandbox without HTTP: one lock around state, quota, de-dup and the clock."""

from __future__ import annotations

import copy
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from devstack.sandbox import attrtag, timpush
from devstack.sandbox.auth import AppConfig, check_query
from devstack.sandbox.errors import ApiError, JsonObj, fail
from devstack.sandbox.push import im_push
from devstack.sandbox.quota import DEDUP_WINDOW_SECONDS, Dedup, PushQuota
from devstack.sandbox.rules import check_body_size
from devstack.sandbox.state import SandboxState

API_PREFIX = "/v4/all_member_push/"
COMMANDS = ("im_push", *attrtag.COMMANDS)
TIMPUSH_PREFIX = "/v4/timpush/"
RATE_PER_SECOND = 100


def parse_body(raw: bytes) -> JsonObj:
    """The body as a JSON object, else 90001 (an empty body included)."""
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeError, ValueError):
        raise ApiError(90001, "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(90001, "body must be a JSON object")
    return body


def _loggable(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeError, ValueError):
        return raw.decode("utf-8", errors="replace")


class SandboxCore:
    """Tencent's all_member_push behaviour for one app; every public method is thread-safe."""

    def __init__(
        self,
        app: AppConfig,
        quota: PushQuota,
        clock: Callable[[], float],
        verbose: bool = False,
        dedup_window_seconds: float = DEDUP_WINDOW_SECONDS,
    ) -> None:
        self.app = app
        self.dedup_window_seconds = dedup_window_seconds
        self.quota = quota
        self.clock = clock
        self.verbose = verbose
        self.lock = threading.RLock()
        self.state = SandboxState()
        self.dedup = Dedup(self.dedup_window_seconds)
        self.batch_dedup = Dedup(self.dedup_window_seconds)
        self.clock_offset = 0.0
        self._recent: dict[str, deque[float]] = {}
        # Real time, not the sandbox clock: tests freeze that clock and must not trip this.
        self.rate_clock: Callable[[], float] = time.monotonic

    def now(self) -> float:
        """Sandbox time: the injected clock plus any advance."""
        return self.clock() + self.clock_offset

    def reset(self) -> None:
        """Forget everything, clock advance included."""
        with self.lock:
            self.state = SandboxState()
            self.dedup = Dedup(self.dedup_window_seconds)
            self.batch_dedup = Dedup(self.dedup_window_seconds)
            self.quota.reset()
            self.clock_offset = 0.0
            self._recent.clear()

    def handle(self, method: str, path: str, query: str, raw: bytes) -> JsonObj:
        """Answer one REST call with Tencent's envelope and record it."""
        command = path.rsplit("/", 1)[-1]
        with self.lock:
            now = self.now()
            try:
                reply = self._dispatch(method, path, command, query, raw, now)
            except ApiError as err:
                reply = fail(err.code, err.info)
            self.record_call(command, reply["ErrorCode"], raw, now)
        return reply

    def _dispatch(
        self, method: str, path: str, command: str, query: str, raw: bytes, now: float
    ) -> JsonObj:
        if method != "POST":
            raise ApiError(60002, "only POST is supported")
        check_query(query, self.app, now)
        if path.startswith(TIMPUSH_PREFIX) and command in timpush.COMMANDS:
            return self._timpush(command, raw, now)
        if not path.startswith(API_PREFIX) or command not in COMMANDS:
            raise ApiError(60009, "unknown request resource")
        if command == "im_push":
            check_body_size(raw)
            body = parse_body(raw)
            return im_push(
                self.state, self.quota, self.dedup, body,
                sdkappid=self.app.sdkappid, admin=self.app.identifier, now=now,
            )  # fmt: skip
        body = parse_body(raw)
        self._rate_limit(command)
        return attrtag.COMMANDS[command](self.state, body)

    def _timpush(self, command: str, raw: bytes, now: float) -> JsonObj:
        """`v4/timpush/<command>` (docs/upstream.md §3)."""
        app = self.app
        if command == "push":
            check_body_size(raw)
            return timpush.push(
                self.state, self.quota, self.dedup, parse_body(raw),
                sdkappid=app.sdkappid, admin=app.identifier, now=now,
            )  # fmt: skip
        body = parse_body(raw)
        rate, code = timpush.RATE_LIMITS.get(command, (RATE_PER_SECOND, 60007))
        self._rate_limit(f"timpush/{command}", rate, code)
        if command == "batch":
            return timpush.batch(
                self.state, self.batch_dedup, body, sdkappid=app.sdkappid,
                admin=app.identifier, now=now,
            )  # fmt: skip
        if command == "revoke":
            return timpush.revoke(self.state, body, now=now)
        if command == "all_member_push_statistics":
            return timpush.statistics(self.state, body, now=now)
        return timpush.AUDIENCE[command](self.state, body)

    def _rate_limit(self, command: str, rate: int = RATE_PER_SECOND, code: int = 60007) -> None:
        tick = self.rate_clock()
        recent = self._recent.setdefault(command, deque())
        while recent and tick - recent[0] >= 1.0:
            recent.popleft()
        if len(recent) >= rate:
            raise ApiError(code, f"more than {rate} {command} calls per second")
        recent.append(tick)

    def record_call(
        self, command: str, code: int | None, raw: bytes, now: float, fault: str | None = None
    ) -> None:
        """Remember one call (never its query string, which holds the UserSig)."""
        with self.lock:
            entry = {"command": command, "error_code": code, "body": _loggable(raw), "at": now}
            if fault:
                entry["fault"] = fault
            self.state.calls.append(entry)
        if self.verbose:
            print(f"sandbox {command} -> {fault or code}", file=sys.stderr, flush=True)

    def pushes(self) -> list[JsonObj]:
        """Accepted pushes, oldest first (copies)."""
        with self.lock:
            return copy.deepcopy(list(self.state.pushes))

    def calls(self) -> list[JsonObj]:
        """Every REST call received, oldest first (copies)."""
        with self.lock:
            return copy.deepcopy(list(self.state.calls))

    def snapshot(self) -> JsonObj:
        """Audience data, de-dup hits and today's quota use."""
        with self.lock:
            now = self.now()
            return {
                **self.state.snapshot(),
                "dedup_hits": self.dedup.hits,
                "quota_used_today": self.quota.used_on(now),
                "quota_day": self.quota.day_of(now),
                "now": now,
            }

    def add_users(self, accounts: list[str]) -> int:
        """Import accounts (they then receive pushes); return the number of known users."""
        with self.lock:
            self.state.users.update(accounts)
            return len(self.state.users)

    def advance_clock(self, seconds: float) -> float:
        """Shift the sandbox clock forward; return the new time."""
        with self.lock:
            self.clock_offset += seconds
            return self.now()

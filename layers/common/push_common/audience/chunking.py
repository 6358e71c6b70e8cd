"""Split account lists into upstream calls of ≤ 100, paced under each command's 100 calls/s.

Write outcomes are per account: a failed chunk reports its accounts as failed with the upstream
code while the other chunks still apply, so a partial apply is never silent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from push_common import caches
from push_common.errors import GatewayError
from push_common.tim_caller import TimCaller

MAX_ACCOUNTS_PER_CALL = 100  # upstream 90018 beyond this
# Upstream allows 100 calls/s per command; a little below it leaves room for clock jitter.
CALLS_PER_SECOND = 95.0


class Pacer:
    """Minimum spacing between calls of one command in this process (a token bucket of 1)."""

    def __init__(
        self,
        calls_per_second: float = CALLS_PER_SECOND,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spacing = 1.0 / calls_per_second
        self._clock = clock
        self._sleep = sleep
        self._last: dict[str, float] = {}

    def wait(self, command: str) -> None:
        """Sleep until `command` may be called again, then record the call."""
        now = self._clock()
        last = self._last.get(command)
        if last is not None and now < last + self.spacing:
            self._sleep(last + self.spacing - now)
            now = last + self.spacing
        self._last[command] = now

    def reset(self) -> None:
        self._last.clear()


_default_pacer = Pacer()
caches.register_timed(_default_pacer.reset)


def default_pacer() -> Pacer:
    """The process-wide pacer, shared by warm invocations."""
    return _default_pacer


def chunks[T](items: Sequence[T], size: int = MAX_ACCOUNTS_PER_CALL) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_chunked(
    client: TimCaller,
    command: str,
    accounts: Sequence[str],
    pacer: Pacer,
) -> Iterator[dict[str, Any]]:
    """One `{"To_Account": chunk}` call per chunk; any failure fails the whole read."""
    for chunk in chunks(accounts):
        pacer.wait(command)
        yield client.call(command, {"To_Account": list(chunk)})


@dataclass
class WriteOutcome:
    """Per-account result of a chunked write: `{"succeeded": [...], "failed": [...]}`."""

    succeeded: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    first_error: GatewayError | None = None

    def fail(self, accounts: Sequence[str], error: GatewayError, detail: str) -> None:
        self.first_error = self.first_error or error
        upstream = getattr(error, "error_code", None) or error.upstream_code
        for account in accounts:
            entry = {"account": account, "code": error.code, "upstream_code": upstream}
            self.failed.append({**entry, "detail": detail})

    def to_dict(self) -> dict[str, Any]:
        return {"succeeded": self.succeeded, "failed": self.failed}


def write_chunked(
    client: TimCaller,
    command: str,
    key: str,
    entries: Sequence[tuple[str, Any]],
    pacer: Pacer,
) -> WriteOutcome:
    """Send `{key: [entry, ...]}` per chunk of `(account, entry)` pairs; outcome per account.

    After a transport failure (no upstream code: timeout, unreachable) later chunks are not
    attempted and reported failed too. If nothing succeeded, the first error is raised instead,
    so a request that changed nothing gets the ordinary error status (502/503/504).
    """
    outcome = WriteOutcome()
    stop: GatewayError | None = None
    for chunk in chunks(entries):
        accounts = [account for account, _ in chunk]
        if stop is not None:
            outcome.fail(accounts, stop, f"not attempted after: {stop.detail}")
            continue
        pacer.wait(command)
        try:
            response = client.call(command, {key: [entry for _, entry in chunk]})
        except GatewayError as exc:
            outcome.fail(accounts, exc, exc.detail)
            stop = exc if exc.upstream_code is None else None
            continue
        _record(outcome, accounts, response)
    if not outcome.succeeded and outcome.first_error is not None:
        raise outcome.first_error
    return outcome


def _record(outcome: WriteOutcome, accounts: Sequence[str], response: Mapping[str, Any]) -> None:
    # Some upstream variants answer ErrorCode 0 with a per-account `ErrorList` (partial success).
    rejected: dict[str, int] = {}
    for item in response.get("ErrorList") or ():
        if isinstance(item, Mapping) and isinstance(item.get("ErrorCode"), int):
            rejected[str(item.get("To_Account"))] = item["ErrorCode"]
    for account in accounts:
        code = rejected.get(account)
        if code is None:
            outcome.succeeded.append(account)
        else:
            detail = f"Tencent IM error {code} for this account"
            entry = {"account": account, "code": "upstream_rejected", "upstream_code": code}
            outcome.failed.append({**entry, "detail": detail})

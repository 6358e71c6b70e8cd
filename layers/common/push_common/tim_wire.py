"""Tencent IM's wire, below the retry policy: envelope parsing, errors and log redaction.

`tim_client` builds on these; they are separate so the client module holds only the policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Protocol

from push_common.errors import DependencyUnavailable, GatewayError
from push_common.upstream_codes import UpstreamOutcome, outcome_for

MAX_ERROR_INFO_CHARS = 200
_USERSIG_VALUE = re.compile(r"(?i)(usersig=)[^&#]*")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")


class HttpResponse(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def data(self) -> bytes: ...


class Http(Protocol):
    """The slice of `urllib3.PoolManager` the client uses (tests pass a stub)."""

    def request(
        self, method: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: Any
    ) -> HttpResponse: ...


class UpstreamError(GatewayError):
    """Tencent IM answered a non-zero ErrorCode; status, code and retryable come from the table."""

    title = "Tencent IM rejected the call"

    def __init__(
        self, error_code: int, error_info: str = "", *, outcome: UpstreamOutcome | None = None
    ) -> None:
        self.outcome = outcome or outcome_for(error_code)
        self.error_code = error_code
        self.error_info = sanitise_error_info(error_info)
        detail = f"Tencent IM error {error_code} ({self.outcome.summary})"
        super().__init__(
            f"{detail}: {self.error_info}" if self.error_info else detail,
            code=self.outcome.code,
            upstream_code=error_code,
            retry_after=self.outcome.retry_after,
            retryable=self.outcome.retryable,
        )
        self.status = self.outcome.http_status  # type: ignore[misc]  # status varies per code


class Transport(Exception):
    """One failed attempt without a usable envelope; `error` is what to raise if it is the last."""

    def __init__(self, error: GatewayError, *, maybe_sent: bool, reached: bool = True) -> None:
        super().__init__(error.detail)
        self.error = error
        self.maybe_sent = maybe_sent
        # False only when no server saw the attempt at all (connection never established).
        self.reached = reached


class UpstreamUnreachable(DependencyUnavailable):
    """No attempt of the call ever reached Tencent IM: it certainly did nothing upstream."""


def redact_url(url: str) -> str:
    """`url` with the value of `usersig=` replaced by `REDACTED` (safe to log)."""
    return _USERSIG_VALUE.sub(r"\1REDACTED", url)


def sanitise_error_info(info: object) -> str:
    """Upstream ErrorInfo as one printable line of at most `MAX_ERROR_INFO_CHARS`."""
    text = _UNPRINTABLE.sub(" ", info if isinstance(info, str) else "").strip()
    return text[:MAX_ERROR_INFO_CHARS]


def unavailable(reason: str) -> DependencyUnavailable:
    return DependencyUnavailable(
        f"Tencent IM unreachable: {reason}", code="upstream_unavailable", retry_after=1
    )


def parse_envelope(response: HttpResponse) -> dict[str, Any]:
    """The answer's envelope; anything else raises a maybe-sent `Transport` (the request
    reached Tencent, which may have acted on it before its gateway failed)."""
    if response.status != 200:
        raise Transport(unavailable(f"HTTP {response.status}"), maybe_sent=True)
    try:
        parsed = json.loads(response.data)
    except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
        parsed = None
    code = parsed.get("ErrorCode") if isinstance(parsed, dict) else None
    if type(code) is not int or not isinstance(parsed, dict):
        raise Transport(unavailable("answer is not a JSON envelope"), maybe_sent=True)
    return parsed

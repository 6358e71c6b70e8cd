"""The one HTTP client of Tencent IM's REST API: signing, timeouts, retries, error mapping.

Retry policy (docs/architecture.md §7, docs/upstream.md §5.4, docs/decisions.md §3): a request
that never reached Tencent is retried twice with exponential backoff; "resign" codes once with a
re-read secret and a fresh UserSig. Idempotent commands (tags, attributes) also retry "backoff"
codes and lost answers. A command called `at_most_once` (im_push) is never repeated after a
maybe-sent attempt: any written byte not followed by a parsed answer in the "no task created"
list raises `OutcomeUnknown`.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlencode

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProxyError, ReadTimeoutError

from push_common import caches, upstream_api
from push_common.credentials import AdminCredentials, get_admin_credentials
from push_common.errors import GatewayError, OutcomeUnknown, UpstreamTimeout
from push_common.observability import count, logger, timing
from push_common.regions import base_url
from push_common.settings import Settings, get_settings
from push_common.tim_http import AnswerTooLarge, TrackedHttp
from push_common.tim_wire import (
    Http,
    HttpResponse,
    Transport,
    UpstreamError,
    UpstreamUnreachable,
    parse_envelope,
    redact_url,
    sanitise_error_info,
    unavailable,
)
from push_common.usersig import UserSigCache, get_usersig_cache

# Re-exported: callers import the client's errors and redaction from here.
__all__ = [
    "Http",
    "HttpResponse",
    "TimClient",
    "UpstreamError",
    "UpstreamUnreachable",
    "get_tim_client",
    "redact_url",
    "sanitise_error_info",
]

MAX_EXTRA_ATTEMPTS = 2
BACKOFF_BASE_SECONDS = 0.2
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# Failures that happen before a connection exists: no request byte can have been written.
# (A TLS error is only known to be harmless when the transport says nothing was written.)
_NOT_SENT = (ConnectTimeoutError, ProxyError)


@dataclass
class _Call:
    """One logical call and its retry budget, shared by its attempts."""

    command: str
    path: str
    payload: bytes
    deadline: float | None
    at_most_once: bool
    attempt: int = 0
    backoffs: int = 0
    resigned: bool = False
    reached: bool = False


class TimClient:
    """Calls `v4/<service>/<command>` as the app admin; reuse one instance per process."""

    def __init__(
        self,
        settings: Settings,
        *,
        http: Http | None = None,
        credentials: Callable[..., AdminCredentials] = get_admin_credentials,
        sigs: UserSigCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._base = base_url(settings)
        self._http: Http = http or TrackedHttp()
        self._credentials = credentials
        self._sigs = sigs or get_usersig_cache()
        self._sleep = sleep
        self._clock = clock

    def close_connections(self) -> None:
        """Drop pooled connections (after a SnapStart restore they belong to another host)."""
        close = getattr(self._http, "close_connections", None)
        if callable(close):
            close()

    def call(
        self,
        command: str,
        body: Mapping[str, Any],
        *,
        service: str = "all_member_push",
        deadline: float | None = None,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        """POST `body` to `command`; the response dict when ErrorCode is 0, else raise.

        `deadline` is a `time.monotonic()` instant no attempt may outlast. `at_most_once=True`
        (im_push) means the command must never run twice: a maybe-sent attempt raises
        `OutcomeUnknown` at once and nothing is repeated after it.
        """
        service, command = upstream_api.route(self._settings.tim_push_api, service, command)
        if not (_NAME.match(command) and _NAME.match(service)):
            raise ValueError(f"invalid command {service}/{command}")
        payload = json.dumps(dict(body), separators=(",", ":"), ensure_ascii=False).encode()
        path = f"{self._base}/v4/{service}/{command}"
        call = _Call(command, path, payload, deadline, at_most_once)
        while True:
            call.attempt += 1
            try:
                response = self._attempt(call)
            except Transport as failure:
                if failure.maybe_sent and call.at_most_once:
                    raise _unknown(failure) from None
                call.reached = call.reached or failure.reached
                if not self._back_off(call):
                    raise _final(failure, call) from None
                continue
            call.reached = True
            if response["ErrorCode"] == 0:
                return response
            self._retry_or_raise(call, response)

    def _retry_or_raise(self, call: _Call, response: Mapping[str, Any]) -> None:
        error = UpstreamError(response["ErrorCode"], response.get("ErrorInfo", ""))
        outcome = error.outcome
        if call.at_most_once and not outcome.no_task:
            raise OutcomeUnknown(
                f"Tencent IM answered {error.error_code} ({outcome.summary}), which does not "
                "rule out that the push was created; it will not be sent again",
                timed_out=False,
                upstream_code=error.error_code,
            )
        if outcome.retry == "resign" and not call.resigned:
            call.resigned = True
            self._credentials(force_refresh=True)
            self._sigs.invalidate()
            return
        # A push refused by a rate limiter is answered, not repeated: its caller retries.
        if outcome.retry == "backoff" and not call.at_most_once and self._back_off(call):
            return
        raise error

    def _attempt(self, call: _Call) -> dict[str, Any]:
        timeout = self._timeout(call.deadline)
        creds = self._credentials()
        query = {
            "sdkappid": creds.sdkappid,
            "identifier": creds.identifier,
            "usersig": self._sigs.get(creds),
            "random": secrets.randbits(32),
            "contenttype": "json",
        }
        url = f"{call.path}?{urlencode(query)}"
        started = self._clock()
        try:
            response = parse_envelope(self._send(url, call.payload, timeout))
        except Transport as failure:
            self._log(call, url, started, failure=failure.error.detail)
            raise
        self._log(call, url, started, response=response)
        return response

    def _send(self, url: str, payload: bytes, timeout: urllib3.Timeout) -> HttpResponse:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        try:
            return self._http.request("POST", url, body=payload, headers=headers, timeout=timeout)
        except (HTTPError, AnswerTooLarge, OSError) as exc:
            if not self._may_have_written(exc):
                error = unavailable(f"connection failed ({type(exc).__name__})")
                raise Transport(error, maybe_sent=False, reached=False) from None
            # Bytes were written: Tencent may have run the command.
            reason = f"no usable answer from Tencent IM ({type(exc).__name__}); outcome unknown"
            timed_out = isinstance(exc, ReadTimeoutError | TimeoutError)
            lost: GatewayError = UpstreamTimeout(reason) if timed_out else unavailable(reason)
            raise Transport(lost, maybe_sent=True) from None

    def _may_have_written(self, exc: BaseException) -> bool:
        """The transport's own account when it keeps one, else judged by the exception type."""
        wrote = getattr(self._http, "wrote_request_bytes", None)
        if callable(wrote):
            return bool(wrote())
        return not isinstance(exc, _NOT_SENT)

    def _timeout(self, deadline: float | None) -> urllib3.Timeout:
        connect = self._settings.upstream_connect_timeout_seconds
        read = self._settings.upstream_read_timeout_seconds
        if deadline is None:
            return urllib3.Timeout(connect=connect, read=read)
        left = deadline - self._clock()
        if left <= 0:  # nothing is sent, so this attempt certainly did nothing upstream
            error = unavailable("no time left to call Tencent IM before the deadline")
            raise Transport(error, maybe_sent=False, reached=False)
        return urllib3.Timeout(connect=min(connect, left), read=min(read, left), total=left)

    def _back_off(self, call: _Call) -> bool:
        """Sleep before the next attempt; False when the budget or the deadline forbids one."""
        if call.backoffs >= MAX_EXTRA_ATTEMPTS:
            return False
        delay = BACKOFF_BASE_SECONDS * 2**call.backoffs * (1 + random.random() / 2)
        if call.deadline is not None and self._clock() + delay >= call.deadline:
            return False
        call.backoffs += 1
        self._sleep(delay)
        return True

    def _log(
        self,
        call: _Call,
        url: str,
        started: float,
        *,
        response: Mapping[str, Any] | None = None,
        failure: str | None = None,
    ) -> None:
        error_code = response["ErrorCode"] if response else None
        duration_ms = round((self._clock() - started) * 1000, 1)
        fields: dict[str, Any] = {
            "command": call.command,
            "attempt": call.attempt,
            "error_code": error_code,
            "duration_ms": duration_ms,
            "url": redact_url(url),
        }
        # Operator dashboard: every attempt's latency, and attempts without a clean answer.
        timing("UpstreamLatency", duration_ms)
        if failure is not None or error_code:
            count("UpstreamErrors")
        logger.debug("tim attempt", **fields)
        if failure is not None:
            logger.warning("tim attempt failed", failure=failure, **fields)
        elif error_code:
            info = sanitise_error_info(response.get("ErrorInfo") if response else None)
            logger.warning("tim attempt rejected", error_info=info, **fields)


def _unknown(failure: Transport) -> OutcomeUnknown:
    timed_out = isinstance(failure.error, UpstreamTimeout)
    return OutcomeUnknown(
        f"{failure.error.detail}; the push will not be sent again", timed_out=timed_out
    )


def _final(failure: Transport, call: _Call) -> GatewayError:
    """The error to raise when the last attempt failed in transport."""
    if call.reached:
        return failure.error
    return UpstreamUnreachable(
        failure.error.detail, code="upstream_unavailable", retry_after=failure.error.retry_after
    )


@cache
def get_tim_client() -> TimClient:
    """The process-wide client (one connection pool, reused across warm invocations)."""
    return TimClient(get_settings())


caches.register(get_tim_client.cache_clear)


@caches.register_renewal
def _close_tim_connections() -> None:
    if get_tim_client.cache_info().currsize:
        get_tim_client().close_connections()

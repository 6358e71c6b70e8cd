"""One signed HTTP exchange with the gateway, and the SDK's retry policy around it.

Retried (same body, same Idempotency-Key, freshly signed), while the time budget allows:
- 429 and 503 after their `Retry-After` (1 s when absent);
- 409 `idempotency_in_progress` after its `Retry-After`: our own earlier attempt is still running,
  and the answer for the same key will be its replay;
- a connection that was never established (nothing was sent).
Never retried: `outcome_unknown` (the gateway replays it and sends nothing), every other 5xx, every
other 4xx, and a request that was sent but got no answer (ResponseTimeout).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError, SSLError

from tim_push import __version__
from tim_push.errors import (
    OUTCOME_UNKNOWN_CODES,
    ProblemError,
    ResponseTimeout,
    TransportError,
    problem_error,
)
from tim_push.signing import Signer

RETRY_STATUSES = frozenset({429, 503})
DEFAULT_RETRY_AFTER = 1.0
MAX_CONNECT_RETRY_PAUSE = 2.0
# Never read more than this from one answer (a misbehaving proxy must not exhaust memory).
MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Timeouts:
    """Per-attempt connect and read timeouts, and the total time retries may take."""

    connect: float = 3.05
    read: float = 30.0
    retry_budget: float = 30.0


@dataclass(frozen=True)
class Answer:
    """A 2xx answer: status, lower-cased headers and the decoded JSON body."""

    status: int
    headers: Mapping[str, str]
    body: Any


class Transport:
    """Sends signed requests to `endpoint`; reuse one instance (it pools connections)."""

    def __init__(
        self,
        endpoint: str,
        signer: Signer,
        timeouts: Timeouts,
        *,
        http: urllib3.PoolManager | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._signer = signer
        self._timeouts = timeouts
        self._http = http or urllib3.PoolManager(retries=False)
        self._sleep = sleep
        self._clock = clock

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        idempotency_key: str | None = None,
    ) -> Answer:
        """The 2xx answer, or a typed error once retries are exhausted or not allowed."""
        url = self._endpoint + path
        if query:
            # quote (not quote_plus): `%20`, the form SigV4 canonicalises, never `+`.
            url += "?" + urlencode(sorted(query.items()), quote_via=quote, safe="-_.~")
        payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"accept": "application/json", "user-agent": f"tim-push-client/{__version__}"}
        if body is not None:
            headers["content-type"] = "application/json"
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        give_up_at = self._clock() + self._timeouts.retry_budget
        while True:
            try:
                return self._once(method, url, headers, payload, idempotency_key)
            except _Retryable as retry:
                pause = retry.after if retry.after is not None else DEFAULT_RETRY_AFTER
                if self._clock() + pause > give_up_at:
                    raise retry.error from None
                self._sleep(pause)

    def _once(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        payload: bytes,
        key: str | None,
    ) -> Answer:
        signed = self._signer.sign(method, url, headers, payload)
        timeout = urllib3.Timeout(connect=self._timeouts.connect, read=self._timeouts.read)
        try:
            response = self._http.request(
                method,
                url,
                body=payload or None,
                headers=signed,
                timeout=timeout,
                preload_content=False,
                redirect=False,
            )
        except (NewConnectionError, ConnectTimeoutError) as exc:
            # Nothing reached the gateway: safe to try again.
            error = TransportError(f"cannot connect to {url}: {_reason(exc)}", idempotency_key=key)
            raise _Retryable(error, MAX_CONNECT_RETRY_PAUSE) from None
        except SSLError as exc:
            # Certificate or handshake trouble: a configuration problem, not worth a retry.
            raise TransportError(
                f"TLS error with {url}: {_reason(exc)}", idempotency_key=key
            ) from None
        except HTTPError as exc:
            raise ResponseTimeout(
                f"no answer from {url} ({_reason(exc)}); the outcome is unknown",
                idempotency_key=key,
            ) from None
        try:
            raw = response.read(MAX_BODY_BYTES + 1)
        except HTTPError as exc:
            raise ResponseTimeout(
                f"answer from {url} cut off ({_reason(exc)})", idempotency_key=key
            ) from None
        finally:
            response.release_conn()
        answer_headers = {k.lower(): v for k, v in response.headers.items()}
        if 200 <= response.status < 300:
            return Answer(response.status, answer_headers, _json_or_none(raw))
        problem = problem_error(
            response.status,
            raw[:MAX_BODY_BYTES],
            retry_after=_retry_after(answer_headers.get("retry-after")),
            idempotency_key=key,
        )
        if _may_retry(problem):
            raise _Retryable(problem, problem.retry_after)
        raise problem


class _Retryable(Exception):
    def __init__(self, error: TransportError | ProblemError, after: float | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.after = after


def _may_retry(error: ProblemError) -> bool:
    if error.code in OUTCOME_UNKNOWN_CODES:
        return False  # the gateway would replay it; retrying can only delay the bad news
    if error.status == 409:
        return bool(error.code == "idempotency_in_progress")
    return error.status in RETRY_STATUSES


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _json_or_none(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise TransportError(f"the gateway answered something that is not JSON: {exc}") from None


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return f"{type(exc).__name__}: {reason or exc}"

"""The HTTP transport under the Tencent IM client: knows whether request bytes were written.

At most once (docs/decisions.md §3) needs one fact urllib3 does not report: did any byte of
the request leave this host? A refused connection, a failed DNS lookup or a TLS handshake that
failed all happen before the first byte, so the call certainly did nothing upstream and may be
repeated; anything after the first byte (a read timeout, a reset, a TLS error while reading, a
cut-off answer) may have been processed. The connections below raise a flag right before they
write, and the answer is read with a size cap so a runaway upstream cannot exhaust memory.
"""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

# Tencent's answers are small JSON envelopes; anything this large is not one.
MAX_ANSWER_BYTES = 1 << 20

_wrote: contextvars.ContextVar[bool] = contextvars.ContextVar("tim_request_bytes_written")


class AnswerTooLarge(Exception):
    """The answer exceeded `MAX_ANSWER_BYTES` (read no further)."""


def _mark_written() -> None:
    _wrote.set(True)


class _TrackedHTTPConnection(HTTPConnection):
    def send(self, data: Any) -> None:
        if self.sock is None:  # connect first: a failure here wrote nothing
            self.connect()
        _mark_written()
        super().send(data)


class _TrackedHTTPSConnection(HTTPSConnection):
    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()
        _mark_written()
        super().send(data)


class _TrackedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _TrackedHTTPConnection


class _TrackedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _TrackedHTTPSConnection


@dataclass(frozen=True)
class Answer:
    status: int
    data: bytes


class TrackedHttp:
    """A `urllib3.PoolManager` that caps answers and reports whether a request was written."""

    def __init__(self) -> None:
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=4, retries=False, cert_reqs="CERT_REQUIRED"
        )
        self._pool.pool_classes_by_scheme = {"http": _TrackedHTTPPool, "https": _TrackedHTTPSPool}

    def request(
        self, method: str, url: str, *, body: bytes, headers: Mapping[str, str], timeout: Any
    ) -> Answer:
        _wrote.set(False)
        response = self._pool.request(
            method, url, body=body, headers=headers, timeout=timeout, preload_content=False
        )
        try:
            data = response.read(MAX_ANSWER_BYTES + 1)
            if len(data) > MAX_ANSWER_BYTES:
                raise AnswerTooLarge(f"answer larger than {MAX_ANSWER_BYTES} bytes")
        except BaseException:
            response.close()  # never hand a half-read connection back to the pool
            raise
        response.release_conn()
        return Answer(response.status, data)

    def close_connections(self) -> None:
        """Close every pooled connection; the next request opens a new one."""
        self._pool.clear()

    def wrote_request_bytes(self) -> bool:
        """Whether the last `request` of this context wrote any byte before it failed."""
        return _wrote.get(False)

"""The client's transport knows whether a request byte left the host (docs/decisions.md §3).

Real sockets on loopback: a refused port and a failed TLS handshake wrote nothing (safe to
retry); a server that read the request and hung up, or answered too much, may have acted on it.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import urllib3
from urllib3.exceptions import HTTPError, SSLError

from push_common.tim_http import MAX_ANSWER_BYTES, AnswerTooLarge, TrackedHttp

pytestmark = pytest.mark.integration
TIMEOUT = urllib3.Timeout(connect=2, read=2)


@contextmanager
def server(reply: bytes | None, *, whole_request: bool = True) -> Iterator[int]:
    """A one-connection server that reads the request, then sends `reply` (None: hangs up).

    `whole_request=False` answers the first bytes at once (a TLS ClientHello waits for them)."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            received = conn.recv(65536)
            while whole_request and not received.endswith(b"\r\n\r\n{}"):  # body `{}`
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
            if reply is not None:
                conn.sendall(reply)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield port
    finally:
        thread.join(timeout=5)
        listener.close()


def post(http: TrackedHttp, url: str) -> None:
    http.request("POST", url, body=b"{}", headers={}, timeout=TIMEOUT)


def test_a_refused_connection_wrote_nothing() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    http = TrackedHttp()
    with pytest.raises(HTTPError):
        post(http, f"http://127.0.0.1:{port}/v4/x")
    assert http.wrote_request_bytes() is False


def test_a_failed_tls_handshake_wrote_nothing() -> None:
    with server(
        b"HTTP/1.1 200 OK\r\n\r\nnot tls", whole_request=False
    ) as port:  # plain HTTP where TLS is expected
        http = TrackedHttp()
        with pytest.raises(SSLError):
            post(http, f"https://127.0.0.1:{port}/v4/x")
    assert http.wrote_request_bytes() is False


def test_a_server_that_read_the_request_and_hung_up_may_have_acted() -> None:
    with server(None) as port:
        http = TrackedHttp()
        with pytest.raises(HTTPError):
            post(http, f"http://127.0.0.1:{port}/v4/x")
    assert http.wrote_request_bytes() is True


def test_an_answer_over_the_cap_is_refused_after_the_request_was_written() -> None:
    size = MAX_ANSWER_BYTES + 10
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode()
    with server(head + b"x" * size) as port:
        http = TrackedHttp()
        with pytest.raises(AnswerTooLarge):
            post(http, f"http://127.0.0.1:{port}/v4/x")
    assert http.wrote_request_bytes() is True


def test_a_normal_answer_is_read_whole() -> None:
    body = b'{"ErrorCode":0}'
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode()
    with server(head + body) as port:
        answer = TrackedHttp().request(
            "POST", f"http://127.0.0.1:{port}/v4/x", body=b"{}", headers={}, timeout=TIMEOUT
        )
    assert (answer.status, answer.data) == (200, body)

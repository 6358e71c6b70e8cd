"""A stub gateway over real HTTP on loopback, scripted per test, that records what it received.

When the repository's local stack code is importable, the stub also verifies each request's
SigV4 signature with the same verifier the local stack uses, so the SDK's signing is checked
on every route, including routes the gateway does not serve yet.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

try:
    from devstack import sigv4
except ImportError:  # the package's tests run without the repository too
    sigv4 = None

KEY_ID, SECRET = "AKIASDKTESTS00000000", "sdk-tests-secret"
REGION = "ap-southeast-1"
CALLER = "arn:aws:iam::111122223333:user/sdk-tests"


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    body: Any
    signature: str | None  # "ok", a rejection code, or None when not verified


@dataclass
class Scripted:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class StubGateway:
    """Answers scripted responses in order (default 200 {}), recording every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._script: deque[Scripted] = deque()
        self._lock = threading.Lock()
        self._verifier = (
            sigv4.SigV4Verifier(sigv4.LocalCredentials(KEY_ID, SECRET, CALLER), REGION)
            if sigv4 is not None
            else None
        )
        # What `Received.signature` says for a good signature: None when it cannot check.
        self.signature_ok = "ok" if self._verifier is not None else None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        serve = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        serve.start()

    def answer(
        self,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> StubGateway:
        self._script.append(Scripted(status, body, dict(headers or {}), delay))
        return self

    def problem(self, status: int, code: str, **members: Any) -> StubGateway:
        headers = {}
        if "retry_after_header" in members:
            headers["Retry-After"] = str(members.pop("retry_after_header"))
        body = {"type": f"urn:x:{code}", "title": code, "status": status, "code": code}
        body |= {"detail": f"{code} happened", "retryable": False} | members
        return self.answer(status, body, {"content-type": "application/problem+json", **headers})

    @property
    def last(self) -> Received:
        return self.received[-1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _next(self) -> Scripted:
        with self._lock:
            return self._script.popleft() if self._script else Scripted(200, {})

    def _verify(
        self, method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes
    ) -> str | None:
        if self._verifier is None:
            return None
        try:
            self._verifier.verify(method, path, query, headers, body)
        except sigv4.SignatureRejected as exc:
            return str(exc.code)
        return "ok"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                headers = list(self.headers.items())
                stub.received.append(
                    Received(
                        method=self.command,
                        path=path,
                        query=dict(parse_qsl(query, keep_blank_values=True)),
                        raw_query=query,
                        headers={k.lower(): v for k, v in headers},
                        body=json.loads(raw) if raw else None,
                        signature=stub._verify(self.command, path, query, headers, raw),
                    )
                )
                scripted = stub._next()
                if scripted.delay:
                    time.sleep(scripted.delay)
                payload = (
                    scripted.body
                    if isinstance(scripted.body, bytes)
                    else json.dumps(scripted.body).encode()
                )
                self.send_response(scripted.status)
                scripted.headers.setdefault("content-type", "application/json")
                for name, value in scripted.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Credentials from the environment only (no developer profile, no instance metadata)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "TIM_PUSH_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def stub(aws_env: None) -> Iterator[StubGateway]:
    gateway = StubGateway()
    yield gateway
    gateway.close()

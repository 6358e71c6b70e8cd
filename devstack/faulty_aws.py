"""A loopback proxy in front of the AWS emulator that fails chosen API calls on demand.

boto3 sends every DynamoDB / Secrets Manager / EventBridge call to `AWS_ENDPOINT_URL_<SERVICE>`;
pointing those at this proxy lets a test throttle, fail or cut off exactly the calls it names
(by `X-Amz-Target`, e.g. `DynamoDB_20120810.UpdateItem`) while the SDK's own retry and error
parsing run for real. Calls without a matching fault are forwarded to the emulator unchanged.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Self
from urllib.parse import urlsplit

FaultKind = Literal["throttle", "unavailable", "close"]
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
# (HTTP status, error code): what AWS answers for each kind, in the JSON protocols' shape.
_ANSWERS: dict[str, tuple[int, str]] = {
    "throttle": (400, "ThrottlingException"),
    "unavailable": (503, "ServiceUnavailable"),
}


@dataclass
class AwsFault:
    """Fail calls matching `target` (exact, `Prefix.*` or `*`); `times` None means always."""

    target: str
    kind: FaultKind
    times: int | None = None

    def matches(self, target: str) -> bool:
        if self.target == "*" or self.target == target:
            return True
        return self.target.endswith(".*") and target.startswith(self.target[:-1])


@dataclass(frozen=True)
class ProxiedCall:
    """One call the proxy saw: its target, the fault it got (if any) and the request body."""

    target: str
    fault: str | None
    body: bytes


class FaultyAws:
    """The proxy: `url` is what the functions get as their AWS endpoint."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self._upstream = urlsplit(upstream)
        self._address = (host, port)
        self._lock = threading.Lock()
        self._faults: list[AwsFault] = []
        self._calls: list[ProxiedCall] = []
        self._server: _Server | None = None

    def start(self) -> Self:
        """Serve in a daemon thread; idempotent."""
        if self._server is None:
            self._server = _Server(self._address, self)
            threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("proxy not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def add_fault(self, target: str, kind: FaultKind, times: int | None = None) -> None:
        """Queue a fault; the first matching fault answers each call."""
        with self._lock:
            self._faults.append(AwsFault(target, kind, times))

    def clear(self) -> None:
        """Forget faults and recorded calls."""
        with self._lock:
            self._faults.clear()
            self._calls.clear()

    def calls(self, target_prefix: str = "") -> list[ProxiedCall]:
        """Recorded calls whose target starts with `target_prefix`, oldest first."""
        with self._lock:
            return [c for c in self._calls if c.target.startswith(target_prefix)]

    def take(self, target: str, body: bytes) -> AwsFault | None:
        """Record one call and consume the fault that answers it, if any."""
        with self._lock:
            fault = next((f for f in self._faults if f.matches(target)), None)
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
            self._calls.append(ProxiedCall(target, fault.kind if fault else None, body))
            return fault

    def forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        """Send the call to the emulator; (status, headers, body)."""
        conn = http.client.HTTPConnection(
            self._upstream.hostname or "127.0.0.1", self._upstream.port, timeout=30
        )
        try:
            conn.request(method, path, body=body, headers=headers)
            reply = conn.getresponse()
            return reply.status, reply.getheaders(), reply.read()
        finally:
            conn.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], proxy: FaultyAws) -> None:
        super().__init__(address, _Handler)
        self.proxy = proxy


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; avoid the 40 ms ACK stall
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the emulator's own log is enough."""

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target") or f"{method} {self.path}"
        fault = self.server.proxy.take(target, body)
        if fault is not None and fault.kind == "close":
            self.close_connection = True  # no answer at all: the SDK sees the connection drop
            return
        if fault is not None:
            status, code = _ANSWERS[fault.kind]
            payload = f'{{"__type":"{code}","message":"injected {fault.kind}"}}'.encode()
            self._reply(status, [("Content-Type", "application/x-amz-json-1.0")], payload)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        status, reply_headers, payload = self.server.proxy.forward(method, self.path, headers, body)
        kept = [(k, v) for k, v in reply_headers if k.lower() not in _HOP_BY_HOP]
        self._reply(status, kept, payload)

    def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

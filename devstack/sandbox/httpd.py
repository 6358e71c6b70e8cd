"""HTTP plumbing: routes /_sandbox/ to the control API, everything else through faults to core."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.sandbox.control import handle_control
from devstack.sandbox.core import SandboxCore
from devstack.sandbox.errors import fail
from devstack.sandbox.faults import Fault, FaultQueue

JSON_TYPE = "application/json; charset=utf-8"
HTML_ERROR = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class SandboxHTTPServer(ThreadingHTTPServer):
    """Threaded HTTP/1.1 server holding the core and the fault queue its handlers use."""

    daemon_threads = True
    request_queue_size = 256  # the default 5 resets connections under concurrent load

    def __init__(self, address: tuple[str, int], core: SandboxCore, faults: FaultQueue) -> None:
        super().__init__(address, _Handler)
        self.core = core
        self.faults = faults


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes; avoid the 40 ms ACK stall
    server: SandboxHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line carries the UserSig; SandboxCore logs command + code."""

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        if path.startswith("/_sandbox/"):
            status, payload = handle_control(
                self.server.core, self.server.faults, method, path, raw
            )
            self._send(status, _dump(payload))
            return
        command = path.rsplit("/", 1)[-1]
        fault = self.server.faults.take(command)
        if fault is not None and fault.kind.startswith("accept_then_"):
            reply = self.server.core.handle(method, path, query, raw)
            self._after_accept(fault, reply)
            return
        if fault is not None and fault.kind != "delay":
            self._inject(fault, command, raw)
            return
        if fault is not None:
            time.sleep(fault.delay_seconds)
        reply = self.server.core.handle(method, path, query, raw)
        self._send(200, _dump(reply))

    def _inject(self, fault: Fault, command: str, raw: bytes) -> None:
        core = self.server.core
        code = fault.error_code if fault.kind == "error_code" else None
        core.record_call(command, code, raw, core.now(), fault=fault.kind)
        self._answer_badly(fault.kind, fault)

    def _after_accept(self, fault: Fault, reply: Any) -> None:
        """The call was processed (and recorded); now its answer goes wrong as the fault says."""
        kind = fault.kind.removeprefix("accept_then_")
        if kind == "delay":
            time.sleep(fault.delay_seconds)
            self._send(200, _dump(reply))
            return
        self._answer_badly(kind, fault)

    def _answer_badly(self, kind: str, fault: Fault) -> None:
        if kind == "error_code":
            self._send(200, _dump(fail(fault.error_code, "injected fault")))
        elif kind == "http_status":
            self._send(fault.http_status, HTML_ERROR, "text/html")
        elif kind == "non_json":
            self._send(200, HTML_ERROR, "text/html")
        elif kind == "truncated":
            # Announce a longer body than is sent, then hang up mid-answer.
            self._send(200, b'{"ActionStatus":"OK","ErrorCode":0,"Task', length=200)
            self.close_connection = True
        else:  # "close": drop the connection without an answer
            self.close_connection = True

    def _send(
        self,
        status: int,
        payload: bytes,
        content_type: str = JSON_TYPE,
        *,
        length: int | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload) if length is None else length))
            self.end_headers()
            self.wfile.write(payload)
        except ConnectionError:  # the client gave up (e.g. timed out during a delay fault)
            self.close_connection = True


def _dump(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")

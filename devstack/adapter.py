"""The HTTP front door on PORT: template routes via API Gateway v2 events, plus `/_local/events`."""

from __future__ import annotations

import json
import sys
import threading
import urllib.request
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devstack.apigw import HttpRequest, HttpResponse, build_event, json_response, problem
from devstack.apigw import to_response as result_to_response
from devstack.config import ACCOUNT_ID, DEFAULT_CALLER_ARN
from devstack.events import LocalEvents, MalformedRequest
from devstack.routes import MethodNotAllowed, Router
from devstack.sigv4 import SignatureRejected, SigV4Verifier, is_signed
from devstack.workers import InvocationError

LOCAL_EVENTS_PATH = "/_local/events"
LOCAL_PUSHES_PATH = "/_local/pushes"
LOCAL_SCHEDULES_PATH = "/_local/schedules"
CALLER_HEADER = "x-local-caller-arn"


class Adapter:
    """Maps one HTTP request to one function invocation (or a local endpoint)."""

    def __init__(
        self,
        router: Router,
        invoke: Callable[[str, dict[str, Any]], Any],
        events: LocalEvents,
        sandbox_url: str | None = None,
        verifier: SigV4Verifier | None = None,
        schedules: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self._schedules = schedules
        self._router = router
        self._invoke = invoke
        self._events = events
        self._sandbox_url = sandbox_url
        self._verifier = verifier

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response API Gateway + Lambda would give (local endpoints aside)."""
        if request.path == LOCAL_EVENTS_PATH:
            return self._local_events(request)
        if request.path == LOCAL_PUSHES_PATH and request.method == "GET":
            return self._local_pushes()
        if request.path == LOCAL_SCHEDULES_PATH and request.method == "GET":
            return json_response(200, {"schedules": self._schedules() if self._schedules else []})
        match = self._router.match(request.method, request.path)
        if match is None:
            return problem(404, "Not found", f"no route for {request.path}", "route_not_found")
        if isinstance(match, MethodNotAllowed):
            response = problem(
                405, "Method not allowed", f"{request.method} {request.path}", "method_not_allowed"
            )
            response.headers.append(("allow", ", ".join(match.allowed)))
            return response
        try:
            caller = self._caller(request)
        except SignatureRejected as exc:
            return problem(403, "Forbidden", exc.detail, exc.code)
        request_id = str(uuid.uuid4())
        event = build_event(request, match, caller, request_id)
        try:
            result = self._invoke(match.function, event)
        except InvocationError as exc:
            print(f"[adapter] {match.function} failed ({request_id}): {exc}", file=sys.stderr)
            return json_response(500, {"message": "Internal Server Error"})
        response = result_to_response(result)
        response.headers.append(("apigw-requestid", request_id))
        return response

    def _caller(self, request: HttpRequest) -> str:
        """The principal API Gateway would pass on: the signer's, else the local default.

        Unsigned requests stay allowed (plain curl) and may pick a principal by header; a signed
        one is verified like API Gateway would, and then the header cannot override it.
        """
        if self._verifier is not None and "x-amz-signature=" in request.query.lower():
            detail = "query-string (presigned) signatures are not supported by the local stack"
            raise SignatureRejected("invalid_signature", detail)
        if self._verifier is not None and is_signed(request.headers):
            return self._verifier.verify(
                request.method, request.path, request.query, request.headers, request.body
            )
        header = next((v for n, v in request.headers if n.lower() == CALLER_HEADER), None)
        return header or DEFAULT_CALLER_ARN

    def _local_pushes(self) -> HttpResponse:
        """What each push reached in the sandbox (task id, recipients), for people trying it."""
        if self._sandbox_url is None:
            detail = "TIM_BASE_URL points at another upstream; no sandbox to ask"
            return problem(404, "No sandbox", detail, "no_sandbox")
        with urllib.request.urlopen(f"{self._sandbox_url}/_sandbox/pushes", timeout=10) as reply:
            pushes = json.loads(reply.read())["pushes"]
        return json_response(200, {"pushes": pushes})

    def _local_events(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            return json_response(200, self._events.published())
        if request.method != "POST":
            return problem(405, "Method not allowed", request.method, "method_not_allowed")
        # Events are put from the stack's account, or from the account of X-Local-Caller-Arn
        # (to try what a partner account may put).
        caller = next((v for n, v in request.headers if n.lower() == CALLER_HEADER), None)
        account = _account_of(caller) if caller else ACCOUNT_ID
        try:
            return json_response(200, self._events.put(request.body, account))
        except MalformedRequest as exc:
            return problem(400, "Malformed PutEvents body", str(exc), "invalid_body")


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[4] else ACCOUNT_ID


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("content-length") or 0)
        request = HttpRequest(
            method=self.command,
            path=path,
            query=query,
            headers=list(self.headers.items()),
            body=self.rfile.read(length) if length else b"",
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        response = self.server.adapter.handle(request)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("content-length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def log_message(self, format: str, *args: Any) -> None:
        print(f"[http] {self.address_string()} {format % args}", file=sys.stderr, flush=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections under a burst of concurrent callers.
    request_queue_size = 256
    adapter: Adapter


class AdapterServer:
    """Serves an Adapter on 127.0.0.1:`port` (0 = any free port) from a background thread."""

    def __init__(self, adapter: Adapter, port: int) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.adapter = adapter
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

"""Inside a worker process: the Lambda context, the handler call, and the request loop."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import time
import traceback
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from devstack.config import ACCOUNT_ID
from devstack.template import FunctionSpec


@dataclass
class LambdaContext:
    """The parts of Lambda's context object that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    timeout_ms: int
    deadline_ms: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def make_context(spec: FunctionSpec, region: str) -> LambdaContext:
    """A fresh context whose deadline is the template's Timeout from now."""
    return LambdaContext(
        function_name=spec.logical_id,
        memory_limit_in_mb=spec.memory,
        invoked_function_arn=f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{spec.logical_id}",
        timeout_ms=spec.timeout * 1000,
        deadline_ms=int(time.time() * 1000) + spec.timeout * 1000,
        log_group_name=f"/aws/lambda/{spec.logical_id}",
    )


class InvocationError(Exception):
    """The handler raised; carries Lambda's error shape (errorType, errorMessage, stackTrace)."""

    def __init__(self, error: Mapping[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = dict(error)


def run_handler(module: str, event: Any, context: LambdaContext) -> Any:
    """Import `module` (once per process) and call its `lambda_handler`."""
    handler = importlib.import_module(module).lambda_handler
    # As on Lambda, the timeout runs from the end of init (the import), not from the request.
    context.deadline_ms = int(time.time() * 1000) + context.timeout_ms
    return handler(event, context)


def _init_worker(env: Mapping[str, str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the stack's to handle
    os.environ.clear()
    os.environ.update(env)
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]


def _invoke_in_worker(module: str, event: Any, context: LambdaContext) -> tuple[bool, Any]:
    try:
        return True, run_handler(module, event, context)
    except Exception as exc:
        trace = traceback.format_exc()
        print(f"[{context.function_name}] {context.aws_request_id} {trace}", file=sys.stderr)
        error = {"errorType": type(exc).__name__, "errorMessage": str(exc)}
        return False, {**error, "stackTrace": trace.splitlines()}


def _warm(module: str) -> tuple[bool, Any]:
    try:
        importlib.import_module(module)
    except Exception as exc:  # the first real invocation reports it in full
        print(f"[warm] {module} not importable: {exc!r}", file=sys.stderr)
    return True, None


def worker_main(conn: Connection, env: Mapping[str, str]) -> None:
    """Serve ("warm", module) and ("invoke", module, event, context) until the pipe closes."""
    _init_worker(env)
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request[0] == "warm":
            conn.send(_warm(request[1]))
        else:
            conn.send(_invoke_in_worker(*request[1:]))

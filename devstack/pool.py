"""Lambda-like execution: per function, warm worker processes each running one invocation at a time.

Workers are `spawn`ed on demand up to the pool size and reused while warm. A worker that
overruns the function's Timeout is killed, as Lambda does, and replaced on the next request.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Mapping
from typing import Any

from devstack.template import FunctionSpec
from devstack.workers import InvocationError, make_context, worker_main

# Lambda gives init (imports) its own 10 s; a busy 2-core machine needs more for a cold worker.
INIT_ALLOWANCE_SECONDS = 30
IPC_GRACE_SECONDS = 0.5
_SPAWN = multiprocessing.get_context("spawn")


class _Worker:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._conn, child = _SPAWN.Pipe()
        self._process = _SPAWN.Process(target=worker_main, args=(child, dict(env)), daemon=True)
        self._process.start()
        child.close()
        self.warm = False
        self._kill_lock = threading.Lock()
        self._killed = False

    def call(self, request: tuple[Any, ...], timeout: float) -> tuple[bool, Any]:
        """Send one request and wait for its answer (TimeoutError, EOFError if it died)."""
        self._conn.send(request)
        if not self._conn.poll(timeout):
            raise TimeoutError
        answer: tuple[bool, Any] = self._conn.recv()
        self.warm = True
        return answer

    def kill(self) -> None:
        # Both `close()` and a caller that saw the worker die may kill it, from two threads.
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        self._process.kill()
        self._process.join()
        self._conn.close()


class FunctionPool:
    """The workers of one function; `invoke` blocks while all `size` of them are busy."""

    def __init__(self, spec: FunctionSpec, env: Mapping[str, str], size: int, region: str):
        self.spec = spec
        self._env = dict(env)
        self._size = size
        self._region = region
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._closed = False

    def invoke(self, event: Any) -> Any:
        """Run one invocation; raises InvocationError if the handler raised, died or timed out."""
        context = make_context(self.spec, self._region)
        ok, value = self._call(("invoke", self.spec.module, event, context))
        if not ok:
            raise InvocationError(value)
        return value

    def warm(self) -> None:
        """Start one worker and import the handler, so the first request is not a cold start."""
        self._call(("warm", self.spec.module))

    def close(self) -> None:
        """Kill every worker, busy or idle (their callers get an InvocationError)."""
        with self._cond:
            self._closed = True
            workers, self._idle = list(self._all), []
            self._cond.notify_all()
        for worker in workers:
            worker.kill()

    def _call(self, request: tuple[Any, ...]) -> tuple[bool, Any]:
        worker = self._acquire()
        try:
            if not worker.warm:  # init (the import) has its own allowance, as on Lambda
                worker.call(("warm", self.spec.module), INIT_ALLOWANCE_SECONDS)
            answer = worker.call(request, self.spec.timeout + IPC_GRACE_SECONDS)
        except TimeoutError:
            self._discard(worker)
            message = f"Task timed out after {self.spec.timeout} seconds"
            raise InvocationError({"errorType": "Timeout", "errorMessage": message}) from None
        except (EOFError, OSError):
            self._discard(worker)
            message = "worker exited before answering"
            error = {"errorType": "Runtime.ExitError", "errorMessage": message}
            raise InvocationError(error) from None
        with self._cond:
            if not self._closed:
                self._idle.append(worker)
            self._cond.notify()
        return answer

    def _acquire(self) -> _Worker:
        with self._cond:
            while not self._closed and not self._idle and len(self._all) >= self._size:
                self._cond.wait()
            if self._closed:
                raise InvocationError({"errorType": "Stopped", "errorMessage": "stack stopping"})
            if self._idle:
                return self._idle.pop()
            worker = _Worker(self._env)
            self._all.add(worker)
            return worker

    def _discard(self, worker: _Worker) -> None:
        with self._cond:
            self._all.discard(worker)
            self._cond.notify()
        worker.kill()

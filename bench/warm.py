"""Warm latency: one push through the real handler vs the bare I/O script, interleaved."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from bench.bare_push import BarePush
from bench.capture import stdout_to
from bench.events import BenchContext, push_http_event
from bench.report import Figure
from bench.stack import BenchStack, function_environment

P50_LIMIT, P99_LIMIT = 1.15, 1.3


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """(wall ms, this thread's CPU ms) of one call."""
    started, cpu = time.perf_counter(), time.thread_time()
    fn()
    return (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000


def _handler_push(handler: Callable[..., dict[str, Any]]) -> Callable[[], Any]:
    event, context = push_http_event(f"bench-{uuid.uuid4()}"), BenchContext()

    def run() -> None:
        response = handler(event, context)
        if response.get("statusCode") != 202:
            raise RuntimeError(f"push through the handler failed: {response}")

    return run


def _bare_push(bare: BarePush) -> Callable[[], Any]:
    key = f"bench-{uuid.uuid4()}"
    return lambda: bare.push(key)


def measure(stack: BenchStack, iterations: int, warmup: int = 100) -> list[Figure]:
    """p50/p99 of both, alternating handler and bare pushes so both see the same noise.

    The main thread's CPU time per push is printed too: unlike wall time it hardly moves with
    the machine's load or the emulators' speed, so it shows the handler's own overhead.
    """
    env = stack.env["push_api"]
    handler_ms: list[tuple[float, float]] = []
    bare_ms: list[tuple[float, float]] = []
    with function_environment(env), stdout_to():
        from functions.push_api.handler import lambda_handler

        bare = BarePush(env)
        for i in range(warmup + iterations):
            # Events are built outside the timed call: API Gateway hands them over ready.
            h, b = _timed(_handler_push(lambda_handler)), _timed(_bare_push(bare))
            if i >= warmup:
                handler_ms.append(h)
                bare_ms.append(b)
    return _figures(handler_ms, bare_ms)


def _figures(handler: list[tuple[float, float]], bare: list[tuple[float, float]]) -> list[Figure]:
    note = f"n={len(handler)}"
    wall_h, wall_b = [w for w, _ in handler], [w for w, _ in bare]
    cpu_h, cpu_b = [c for _, c in handler], [c for _, c in bare]
    return [
        Figure("warm p50 push", percentile(wall_h, 50), "ms", P50_LIMIT, percentile(wall_b, 50),
               note),
        Figure("warm p99 push", percentile(wall_h, 99), "ms", P99_LIMIT, percentile(wall_b, 99),
               note),
        Figure("warm p50 CPU/push (main thread)", percentile(cpu_h, 50), "ms", None,
               percentile(cpu_b, 50), "handler's own work"),
    ]  # fmt: skip

"""SnapStart, simulated: a primed process forked, each child restored and answering.

`python -S -m bench.snap_sim <function> <runs>` in the function's Lambda layout (run by
bench/snapstart.py): imports the handler (which installs push_common.snapstart's hooks), runs
the before-snapshot hook once, then forks `runs` children one after another. Each child runs the
after-restore hook, answers its first request (timed from the restore), then three warm requests;
the parent reports every child's (first ms, median warm ms) on BENCH_FD.
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import sys
import time
import uuid
from typing import Any

from bench.child_report import report
from bench.events import BenchContext, first_event, succeeded

WARM_REQUESTS = 3


def _child(handler: Any, function: str, out: int) -> None:
    from push_common import snapstart

    def answer() -> bool:
        event = first_event(function, f"snap-{uuid.uuid4()}")
        return succeeded(function, handler.lambda_handler(event, BenchContext()))

    started = time.monotonic()
    snapstart.after_restore()
    ok = answer()
    first_ms = (time.monotonic() - started) * 1000
    warm = []
    for _ in range(WARM_REQUESTS):
        t = time.monotonic()
        ok = answer() and ok
        warm.append((time.monotonic() - t) * 1000)
    with os.fdopen(out, "w") as pipe:
        pipe.write(json.dumps({"ok": ok, "first_ms": first_ms, "warm_ms": statistics.median(warm)}))


def main() -> None:
    function, runs = sys.argv[1], int(sys.argv[2])
    handler = importlib.import_module("handler")
    from push_common import snapstart

    started = time.monotonic()
    snapstart.before_snapshot()
    primed_ms = (time.monotonic() - started) * 1000
    results: list[dict[str, Any]] = []
    for _ in range(runs):
        read_fd, write_fd = os.pipe()
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:  # the "restored" environment
            os.close(read_fd)
            try:
                _child(handler, function, write_fd)
            finally:
                os._exit(0)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            line = pipe.read()
        os.waitpid(pid, 0)
        results.append(json.loads(line) if line else {"ok": False})
    ok = all(r.get("ok") for r in results)
    report(ready_at=started, ok=ok, primed_ms=primed_ms, runs=results)


if __name__ == "__main__":
    main()

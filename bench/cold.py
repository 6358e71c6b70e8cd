"""Cold start: fresh processes, process start to first response, vs the bare import script."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import Figure, pending
from bench.stack import BenchStack

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("push_api", "push_event", "audience_api")
TIME_LIMIT, RSS_LIMIT = 1.5, 1.3


@dataclass(frozen=True)
class Run:
    first_ms: float  # process start -> first response (bare: clients created)
    ready_ms: float | None  # process start -> handler module imported
    rss_mib: float


def spawn(args: list[str], env: dict[str, str]) -> Run:
    """Start `python -m <args>` and read its report; raise when it failed."""
    read_fd, write_fd = os.pipe()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        env={**env, "BENCH_FD": str(write_fd)},
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        line = pipe.read()
    _, stderr = proc.communicate()
    data: dict[str, Any] = json.loads(line) if line else {}
    if proc.returncode != 0 or not data.get("ok"):
        tail = stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(args)} failed: {data.get('response')} {tail}")
    ready = data.get("ready_at")
    return Run(
        first_ms=(data["done_at"] - started) * 1000,
        ready_ms=None if ready is None else (ready - started) * 1000,
        rss_mib=data["max_rss_kib"] / 1024,
    )


def measure(stack: BenchStack, runs: int) -> list[Figure]:
    """Median of `runs` fresh processes per function and per baseline, interleaved."""
    figures: list[Figure] = []
    # One unmeasured run: byte-code caches and the page cache warm, as on a Lambda host.
    spawn(["bench.bare_cold", "push_event"], stack.env["push_event"])
    for function in FUNCTIONS:
        if not (ROOT / "functions" / function / "handler.py").is_file():
            figures.append(pending(f"cold {function}", "ms", TIME_LIMIT, "not built yet"))
            continue
        figures.extend(_measure_one(function, stack.env[function], runs))
    return figures


def _measure_one(function: str, env: dict[str, str], runs: int) -> list[Figure]:
    fn_args = ["bench.cold_child", function]
    bare_args = ["bench.bare_cold", function]
    spawn([*fn_args, f"cold-{uuid.uuid4()}"], env)  # unmeasured, as above
    fn_runs, bare_runs = [], []
    for _ in range(runs):
        fn_runs.append(spawn([*fn_args, f"cold-{uuid.uuid4()}"], env))
        bare_runs.append(spawn(bare_args, env))
    med = statistics.median
    bare_ms = med(r.first_ms for r in bare_runs)
    note = f"median of {runs}"
    return [
        Figure(f"cold {function}: start->1st response", med(r.first_ms for r in fn_runs), "ms",
               TIME_LIMIT, bare_ms, note),
        Figure(f"cold {function}: start->handler imported", med(r.ready_ms or 0 for r in fn_runs),
               "ms", None, bare_ms, "no request yet"),
        Figure(f"cold {function}: peak RSS", med(r.rss_mib for r in fn_runs), "MiB", RSS_LIMIT,
               med(r.rss_mib for r in bare_runs), note),
    ]  # fmt: skip

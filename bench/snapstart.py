"""SnapStart simulation figures: first request after a restore vs a warm request (info)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from typing import Any

from bench import lambda_layout
from bench.cold import spread
from bench.report import Figure
from bench.stack import BenchStack

FUNCTIONS = ("push_api", "push_event")


def _simulate(function: str, env: dict[str, str], runs: int) -> dict[str, Any]:
    where = lambda_layout.layout(function)
    read_fd, write_fd = os.pipe()
    child_env = {
        **env,
        "BENCH_FD": str(write_fd),
        "PYTHONPATH": where.pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-S", "-m", "bench.snap_sim", function, str(runs)],
        cwd=where.task_root,
        env=child_env,
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
        raise RuntimeError(f"snap_sim {function} failed: {stderr.decode(errors='replace')[-2000:]}")
    return data


def measure(stack: BenchStack, runs: int) -> list[Figure]:
    """Per push function: median ratio of first-after-restore to warm over `runs` forks."""
    figures = []
    for function in FUNCTIONS:
        data = _simulate(function, stack.env[function], runs)
        first = [r["first_ms"] for r in data["runs"]]
        warm = [r["warm_ms"] for r in data["runs"]]
        ratio, where = spread([a / b for a, b in zip(first, warm, strict=True)])
        figures.append(
            Figure(
                f"snapstart sim {function}: 1st after restore / warm",
                ratio,
                "x",
                None,
                note=f"median of {len(first)} forks, {where}; {statistics.median(first):.1f} ms "
                f"vs {statistics.median(warm):.1f} ms; before-snapshot hook "
                f"{data['primed_ms']:.0f} ms",
            )
        )
    return figures

"""SnapStart simulation figures: first request after a restore vs a warm request (info)."""

from __future__ import annotations

import statistics
from typing import Any

from bench.children import run_child
from bench.cold import spread
from bench.report import Figure
from bench.stack import BenchStack

FUNCTIONS = ("push_api", "push_event")


def _simulate(function: str, env: dict[str, str], runs: int) -> dict[str, Any]:
    return run_child(["bench.snap_sim", function, str(runs)], env, function)


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

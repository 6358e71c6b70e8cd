"""Cold start: fresh processes running the build, first response vs the honest bare baseline.

Each pair is one cold child of the function and one of its bare baseline (bench/bare_cold.py),
in alternating order; the figure is the median of the per-pair ratios with p25/p75, because on
a shared machine a pair sees the same load while runs minutes apart do not.
"""

from __future__ import annotations

import compileall
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from bench import lambda_layout
from bench.bare_push import seed_quota
from bench.children import run_child
from bench.report import Figure, pending
from bench.stack import BenchStack
from bench.warm import percentile

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS = ("push_api", "push_event", "audience_api")
FIRST_LIMIT, IMPORT_LIMIT, RSS_LIMIT = 1.2, 1.05, 1.3


@dataclass(frozen=True)
class Run:
    first_ms: float  # process start -> first response
    ready_ms: float  # process start -> handler imported (bare: its libraries imported)
    rss_mib: float


def spawn(args: list[str], env: dict[str, str], function: str) -> Run:
    """Start `python -S -m <args>` in `function`'s Lambda layout; its timings, or raise."""
    started = time.monotonic()
    data = run_child(args, env, function)
    return Run(
        first_ms=(data["done_at"] - started) * 1000,
        ready_ms=(data["ready_at"] - started) * 1000,
        rss_mib=data["max_rss_kib"] / 1024,
    )


def prepare() -> str:
    """The build's Lambda layout and compiled bench modules; a note on the native overlay."""
    overlay = lambda_layout.prepare()
    compileall.compile_dir(ROOT / "bench", quiet=1)
    return f"native overlay: {', '.join(overlay) or 'none'}"


class Pairs:
    """Function and bare runs of one function, kept in pairs."""

    def __init__(self, function: str, env: dict[str, str]) -> None:
        self.function, self.env = function, env
        self.quota_pk = seed_quota(env)["pk"]["S"] if function != "audience_api" else ""
        self.fn: list[Run] = []
        self.bare: list[Run] = []

    def _fn(self) -> Run:
        key = f"cold-{uuid.uuid4()}"
        return spawn(["bench.cold_child", self.function, key], self.env, self.function)

    def _bare(self) -> Run:
        args = ["bench.bare_cold", self.function, f"bare-{uuid.uuid4()}", self.quota_pk]
        return spawn(args, self.env, self.function)

    def warm_up(self) -> None:
        """One unmeasured run of each: page cache and byte-code warm, as on a Lambda host."""
        self._fn()
        self._bare()

    def pair(self, i: int) -> None:
        if i % 2:
            bare = self._bare()
            fn = self._fn()
        else:
            fn = self._fn()
            bare = self._bare()
        self.fn.append(fn)
        self.bare.append(bare)


def spread(ratios: list[float]) -> tuple[float, str]:
    """(median, 'p25 … / p75 …')."""
    med = statistics.median(ratios)
    return med, f"p25 {percentile(ratios, 25):.2f} / p75 {percentile(ratios, 75):.2f}"


def measure(stack: BenchStack, runs: int) -> list[Figure]:
    """Per function: `runs` interleaved pairs, all functions interleaved round by round."""
    try:
        note = prepare()
    except RuntimeError as exc:
        return [pending("cold", "x", FIRST_LIMIT, str(exc))]
    sets = [Pairs(f, stack.env[f]) for f in FUNCTIONS]
    for s in sets:
        s.warm_up()
    for i in range(runs):
        for s in sets:
            s.pair(i)
    figures = [f for s in sets for f in _figures(s)]
    print(f"cold: {note}", file=sys.stderr)
    return figures


def _figures(s: Pairs) -> list[Figure]:
    f, n = s.function, len(s.fn)
    med = statistics.median
    first, first_spread = spread(
        [a.first_ms / b.first_ms for a, b in zip(s.fn, s.bare, strict=True)]
    )
    ready, ready_spread = spread(
        [a.ready_ms / b.ready_ms for a, b in zip(s.fn, s.bare, strict=True)]
    )
    fn_first, bare_first = med(r.first_ms for r in s.fn), med(r.first_ms for r in s.bare)
    fn_ready, bare_ready = med(r.ready_ms for r in s.fn), med(r.ready_ms for r in s.bare)
    return [
        Figure(f"cold {f}: 1st response / bare", first, "x", FIRST_LIMIT,
               note=f"median of {n} pairs, {first_spread}; "
                    f"{fn_first:.0f} ms vs {bare_first:.0f} ms"),
        Figure(f"cold {f}: handler import / bare import", ready, "x", IMPORT_LIMIT,
               note=f"median of {n} pairs, {ready_spread}; "
                    f"{fn_ready:.0f} ms vs {bare_ready:.0f} ms"),
        Figure(f"cold {f}: peak RSS", med(r.rss_mib for r in s.fn), "MiB", RSS_LIMIT,
               med(r.rss_mib for r in s.bare), f"median of {n}"),
    ]  # fmt: skip

"""`python -m bench.run` (`make bench`): every figure of docs/architecture.md §10 with its target
and verdict.

Options: --warm-n N (timed pushes, default 1000: the p99 is then the 10th-worst push),
--cold-runs N (interleaved pairs of fresh processes per function, default 20, at least 20 for
the record), --snap-runs N (forks of the SnapStart simulation per push function, default 10),
--only cold,snapstart (run only these benches), --no-build (never run `make build`), --write
PATH (also write the markdown record), --strict (exit 1 when a figure fails). `--only
instructions` adds callgrind instruction counts of the cold starts (load-independent, slow:
bench/instructions.py).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from bench import calls, cold, instructions, size, snapstart, warm
from bench.report import FAIL, Figure, render_markdown, render_text
from bench.stack import BenchStack

COMMAND = "make bench"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--warm-n", type=int, default=1000)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--snap-runs", type=int, default=10)
    parser.add_argument("--only", default="size,calls,warm,cold,snapstart")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--write", type=Path)
    parser.add_argument("--strict", action="store_true")
    return parser.parse_args(argv)


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def collect(args: argparse.Namespace) -> tuple[list[Figure], list[str], str]:
    """Run every bench; (figures, detail lines, the DynamoDB stand-in used)."""
    only = set(args.only.split(","))
    say("bench: size (sam build output; cold runs start from it)")
    figures = size.measure(allow_build=not args.no_build)
    figures = figures if "size" in only else [f for f in figures if f.value is None]
    call_figures: list[Figure] = []
    details: list[str] = []
    with BenchStack() as stack:
        if "calls" in only:
            say(f"bench: calls per push (DynamoDB: {stack.dynamodb_standin})")
            call_figures, details = calls.measure(stack)
        if "warm" in only:
            say(f"bench: warm latency ({args.warm_n} pushes each, interleaved)")
            figures = warm.measure(stack, args.warm_n) + figures
        if "cold" in only:
            say(f"bench: cold start ({args.cold_runs} interleaved pairs per function)")
            figures += cold.measure(stack, args.cold_runs)
        if "instructions" in only:
            say("bench: instruction counts of cold starts (callgrind; ~1 min per process)")
            figures += instructions.measure(stack)
        if "snapstart" in only:
            say(f"bench: SnapStart simulation ({args.snap_runs} forks per push function)")
            figures += snapstart.measure(stack, args.snap_runs)
        figures += call_figures
        return figures, details, stack.dynamodb_standin


def environment(standin: str, seconds: float, load: tuple[float, float]) -> str:
    return (
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"DynamoDB stand-in {standin}, upstream = devstack sandbox, all on 127.0.0.1; "
        f"load average {load[0]:.1f} at start, {load[1]:.1f} at end; run took {seconds:.0f} s"
    )


def write_record(path: Path, figures: list[Figure], details: list[str], env: str) -> None:
    """The markdown record; the analysis section below the marker is kept as written."""
    marker = "<!-- analysis -->"
    old = path.read_text(encoding="utf-8") if path.is_file() else ""
    kept = old.split(marker, 1)[1] if marker in old else "\n"
    body = [
        "# Bench record (docs/architecture.md §10)",
        "",
        f"Reproduce: `{COMMAND}` (or `.venv/bin/python -m bench.run --write bench/RESULTS.md`).",
        "",
        f"Run of {time.strftime('%Y-%m-%d %H:%M %Z')}: {env}.",
        "",
        render_markdown(figures),
        "",
        *[f"- {line}" for line in details],
        "",
        marker,
    ]
    path.write_text("\n".join(body) + kept, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started, load_start = time.monotonic(), os.getloadavg()[0]
    figures, details, standin = collect(args)
    env = environment(standin, time.monotonic() - started, (load_start, os.getloadavg()[0]))
    print(render_text(figures))
    print()
    print("\n".join(details))
    print(env)
    if args.write is not None:
        write_record(args.write, figures, details, env)
    failed = [f.name for f in figures if f.verdict == FAIL]
    print(
        f"bench: {len(failed)} of {len(figures)} figures FAIL" + (f": {failed}" if failed else "")
    )
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

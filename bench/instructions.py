"""Instruction counts of a cold start, function vs its bare baseline (valgrind's callgrind).

`python -m bench.run --only instructions`: per function, one cold child of the build and one
bare baseline (bench/bare_cold.py) run under `valgrind --tool=callgrind`, each twice: the whole
process (interpreter start, imports, first response) and the imports alone (BENCH_IMPORT_ONLY).
Instructions executed do not depend on the machine's load, so this figure can be compared
across runs on a shared machine; the wall-clock pairs of bench/cold.py stay the figure of
record. Time spent waiting on I/O is not counted (the I/O is the same on both sides). Slow:
about a minute per process, so not part of the default run.
"""

from __future__ import annotations

import re
import shutil
import uuid

from bench.bare_push import seed_quota
from bench.children import run_child
from bench.cold import FIRST_LIMIT, FUNCTIONS, IMPORT_LIMIT, prepare
from bench.report import Figure, pending
from bench.stack import BenchStack

VALGRIND = ("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def count(args: list[str], env: dict[str, str], function: str) -> int:
    """Instructions (Ir) one child executes from exec to exit."""
    data = run_child(args, env, function, prefix=VALGRIND)
    found = _COLLECTED.findall(data["stderr"])
    if not found:
        raise RuntimeError(f"no callgrind total for {' '.join(args)}")
    return int(found[-1])


def _pair(function: str, env: dict[str, str], quota_pk: str) -> tuple[int, int]:
    fn = count(["bench.cold_child", function, f"ir-{uuid.uuid4()}"], env, function)
    bare = count(["bench.bare_cold", function, f"ir-bare-{uuid.uuid4()}", quota_pk], env, function)
    return fn, bare


def measure(stack: BenchStack) -> list[Figure]:
    """Per function: Ir of the first response and of the import, function / bare."""
    if shutil.which("valgrind") is None:
        return [pending("instructions", "x", FIRST_LIMIT, "valgrind not installed")]
    try:
        prepare()
    except RuntimeError as exc:
        return [pending("instructions", "x", FIRST_LIMIT, str(exc))]
    figures = []
    for function in FUNCTIONS:
        env = {**stack.env[function], "BENCH_TIMEOUT_S": "300"}
        quota_pk = seed_quota(env)["pk"]["S"] if function != "audience_api" else ""
        first_fn, first_bare = _pair(function, env, quota_pk)
        imp_fn, imp_bare = _pair(function, {**env, "BENCH_IMPORT_ONLY": "1"}, quota_pk)
        phased = {**env, "BENCH_BARE_INIT_PHASE": "1"}
        first_phased = count(["bench.bare_cold", function, f"ir-bare-{uuid.uuid4()}", quota_pk],
                             phased, function)  # fmt: skip
        figures += [
            Figure(f"instructions {function}: cold 1st response / bare", first_fn / 1e6, "M Ir",
                   FIRST_LIMIT, first_bare / 1e6, "callgrind, whole process"),
            Figure(f"instructions {function}: handler import / bare import", imp_fn / 1e6,
                   "M Ir", IMPORT_LIMIT, imp_bare / 1e6, "callgrind, exec to import done"),
            Figure(f"instructions {function}: cold 1st response / bare with init phase",
                   first_fn / 1e6, "M Ir", None, first_phased / 1e6,
                   "the bare script importing as the handlers do, docs/decisions.md §28"),
        ]  # fmt: skip
    return figures

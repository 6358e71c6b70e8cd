"""Start a bench child the way Lambda starts a function: its layout, `python -S`, a report pipe.

Shared by the cold-start pairs (bench/cold.py), the SnapStart simulation (bench/snapstart.py)
and the instruction counts (bench/instructions.py). The child writes one JSON line on the fd
named by BENCH_FD (bench/child_report.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from bench import lambda_layout


def run_child(
    args: Sequence[str], env: dict[str, str], function: str, prefix: Sequence[str] = ()
) -> dict[str, Any]:
    """Run `[prefix...] python -S -m <args>` in `function`'s Lambda layout; its report, or raise."""
    where = lambda_layout.layout(function)
    read_fd, write_fd = os.pipe()
    child_env = {
        **env,
        "BENCH_FD": str(write_fd),
        "PYTHONPATH": where.pythonpath,
        "PYTHONDONTWRITEBYTECODE": "1",  # /opt and /var/task are read-only on Lambda
    }
    proc = subprocess.Popen(
        [*prefix, sys.executable, "-S", "-m", *args],
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
        tail = stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(args)} failed: {data.get('response')} {tail}")
    data["stderr"] = stderr.decode(errors="replace")
    return data

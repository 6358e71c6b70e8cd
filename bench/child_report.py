"""How a cold-start child reports back: one JSON line on the fd named by BENCH_FD."""

from __future__ import annotations

import json
import os
import time
from typing import Any


def report(**fields: Any) -> None:
    """Write `fields` plus the monotonic time now and this process's peak RSS (KiB)."""
    fields["done_at"] = time.monotonic()
    fields["max_rss_kib"] = peak_rss_kib()
    with os.fdopen(int(os.environ["BENCH_FD"]), "w") as out:
        out.write(json.dumps(fields) + "\n")


def peak_rss_kib() -> int:
    """VmHWM: unlike getrusage's ru_maxrss it starts afresh at exec, not at the parent's peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")

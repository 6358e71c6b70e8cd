"""Cold child: import a function's handler like Lambda does and answer its first request.

`python -S -m bench.cold_child <function> <idempotency-key>`, run from the built function's
directory (the task root, bench/lambda_layout.py); reports `ready_at` (handler module imported)
and `done_at` (first response returned), both `time.monotonic()`. With BENCH_IMPORT_ONLY=1 it
reports right after the import (the import's instruction count, bench/instructions.py).
"""

from __future__ import annotations

import importlib
import os
import sys
import time

from bench.child_report import report
from bench.events import BenchContext, first_event, succeeded


def main() -> None:
    function, key = sys.argv[1], sys.argv[2]
    handler = importlib.import_module("handler")  # Handler: handler.lambda_handler
    ready_at = time.monotonic()
    if os.environ.get("BENCH_IMPORT_ONLY"):
        report(ready_at=ready_at, ok=True)
        return
    # Under valgrind (bench/instructions.py) the request needs longer than Lambda's timeout.
    context = BenchContext(float(os.environ.get("BENCH_TIMEOUT_S", "12")))
    response = handler.lambda_handler(first_event(function, key), context)
    report(ready_at=ready_at, ok=succeeded(function, response), response=str(response)[:300])


if __name__ == "__main__":
    main()

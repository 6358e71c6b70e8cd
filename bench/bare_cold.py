"""The honest cold baseline: a fresh process that does a request's I/O and nothing else.

`python -m bench.bare_cold <function> <key> [<quota pk>]`: imports boto3, pydantic (`BaseModel`:
what any use of pydantic costs; `import pydantic` alone loads almost nothing), urllib3 and the
UserSig module, reports `ready_at`, then creates the clients, reads the secret and makes the
function's I/O on new connections: for a push the record claim, the quota write, the upstream
POST and the record finish (bench/bare_push.py), plus the outcome event for push_event; for
audience_api one upstream `im_get_tag`. Reports `done_at` when that is done. With
BENCH_IMPORT_ONLY=1 it reports right after the imports (bench/instructions.py).
"""

from __future__ import annotations

import os
import sys
import time

# BENCH_BARE_INIT_PHASE=1 (an info figure of bench/instructions.py, never the baseline of record):
# the same script, its imports made the way the handlers make theirs (push_common.coldstart:
# collector paused, precompiled dataclass code, imports from a frame with room above it), to
# show what is left of the functions' own cost once the shared libraries' import is as cheap.
if os.environ.get("BENCH_BARE_INIT_PHASE"):
    from push_common import coldstart

    coldstart.preload("boto3", "TLSSigAPIv2", "urllib3", "pydantic")

import boto3
import TLSSigAPIv2
import urllib3
from pydantic import BaseModel

if os.environ.get("BENCH_BARE_INIT_PHASE"):
    coldstart.end()

READY_AT = time.monotonic()

from bench.bare_push import BarePush, BareTim  # noqa: E402  (after the timed imports)
from bench.child_report import report  # noqa: E402
from bench.events import AUDIENCE_ACCOUNTS  # noqa: E402


def main() -> None:
    function, key = sys.argv[1], sys.argv[2]
    env = dict(os.environ)
    assert boto3 and TLSSigAPIv2 and urllib3 and issubclass(BaseModel, object)
    if env.get("BENCH_IMPORT_ONLY"):
        report(ready_at=READY_AT, ok=True)
        return
    if function == "audience_api":
        reply = BareTim(env).post("im_get_tag", {"To_Account": [AUDIENCE_ACCOUNTS]})
        ok = "UserTags" in reply
    else:
        quota_key = {"pk": {"S": sys.argv[3]}}
        ok = bool(BarePush(env, quota_key=quota_key, events=function == "push_event").push(key))
    report(ready_at=READY_AT, ok=ok)


if __name__ == "__main__":
    main()

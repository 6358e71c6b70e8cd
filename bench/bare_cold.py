"""Cold baseline: import boto3, pydantic and urllib3 and create the clients a function creates.

`import pydantic` alone is lazy (it loads almost nothing); `BaseModel` is what any use of pydantic
costs, so the baseline imports it.

`python -m bench.bare_cold <function>`; reports `done_at` once the clients exist.
"""

from __future__ import annotations

import sys

import boto3
import urllib3
from pydantic import BaseModel

from bench.child_report import report

# The boto3 clients each function creates while answering its first request.
CLIENTS = {
    "push_api": ("secretsmanager", "dynamodb"),
    "push_event": ("secretsmanager", "dynamodb", "events"),
    "audience_api": ("secretsmanager",),
}


def main() -> None:
    services = CLIENTS[sys.argv[1]]
    clients = [boto3.client(name) for name in services]  # type: ignore[call-overload]
    pool = urllib3.PoolManager(num_pools=2, maxsize=4)
    report(ready_at=None, ok=bool(clients and pool and BaseModel))


if __name__ == "__main__":
    main()

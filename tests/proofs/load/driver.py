"""A bounded load on the local stack: N client threads, each with one keep-alive connection."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3

from tests.proofs.load.mix import Operation, expected_failure, next_operation

MAX_CLIENTS = 200
MAX_SECONDS = 900.0


@dataclass
class Tally:
    """What the clients saw; merged from one per client, so no locking while running."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    requests: int = 0

    def merge(self, other: Tally) -> None:
        for route, values in other.latencies.items():
            self.latencies[route].extend(values)
        self.statuses.update(other.statuses)
        self.failures.extend(other.failures)
        self.requests += other.requests


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of `values`, in the same unit."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def _client(base: str, until: float, seed: int, tally: Tally) -> None:
    parts = urlsplit(base)
    assert parts.hostname == "127.0.0.1", "the load test talks to loopback only"
    pool = urllib3.HTTPConnectionPool(
        parts.hostname, parts.port, maxsize=1, block=True, retries=False,
        timeout=urllib3.Timeout(connect=5, read=60),
    )  # fmt: skip
    rng = random.Random(seed)
    with pool:
        while time.monotonic() < until:
            _one(pool, next_operation(rng), tally)


def _one(pool: urllib3.HTTPConnectionPool, op: Operation, tally: Tally) -> None:
    headers = {"content-type": "application/json", **op.headers}
    started = time.perf_counter()
    try:
        reply = pool.request(op.method, op.path, body=op.encoded(), headers=headers)
    except urllib3.exceptions.HTTPError as exc:
        tally.failures.append(f"{op.route}: {type(exc).__name__}: {exc}")
        tally.requests += 1
        return
    elapsed = time.perf_counter() - started
    tally.requests += 1
    tally.statuses[reply.status] += 1
    tally.latencies[op.route].append(elapsed)
    reason = expected_failure(op, reply.status, {k.lower(): v for k, v in reply.headers.items()})
    if reason is not None:
        tally.failures.append(f"{op.route}: {reason}: {reply.data[:300]!r}")


def run_load(
    base: str,
    clients: int,
    seconds: float,
    at: Callable[[float], None] = lambda fraction: None,
    fractions: Sequence[float] = (),
) -> Tally:
    """`clients` threads for `seconds`; `at(f)` is called when each fraction `f` of it is done."""
    if not (0 < clients <= MAX_CLIENTS and 0 < seconds <= MAX_SECONDS):
        raise ValueError(f"load is bounded: 1-{MAX_CLIENTS} clients, up to {MAX_SECONDS:.0f} s")
    start = time.monotonic()
    until = start + seconds
    tallies = [Tally() for _ in range(clients)]
    threads = [
        threading.Thread(target=_client, args=(base, until, seed, tally), daemon=True)
        for seed, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for fraction in sorted(fractions):
        time.sleep(max(0.0, start + seconds * fraction - time.monotonic()))
        at(fraction)
    for thread in threads:
        thread.join(timeout=seconds + 120)
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total

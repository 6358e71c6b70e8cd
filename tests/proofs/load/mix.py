"""The mixed workload: what each simulated client sends, and which answers are documented.

Every body is valid unless marked invalid (a 422 is then the expected answer). Idempotency keys
come from a small fixed set, each always with the same body, so replays answer 202 (or 409 while
the first is in progress), never 422 for a reused key.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

DOCUMENTED = frozenset({200, 202, 409, 422, 429})
NEEDS_RETRY_AFTER = frozenset({409, 429})
ACCOUNTS = ("alice", "bob", "carol", "dave")
ALL = {"audience": {"all": True}, "message": {"text": "Load test"}}
VIP = {"audience": {"tags": {"any": ["vip", "beta"]}}, "message": {"text": "Load test"}}
CITY = {"audience": {"attributes": {"all": {"city": "NY"}}}, "message": {"text": "Load test"}}
INVALID = {"audience": {"tags": {"any": []}}, "message": {"text": ""}}


@dataclass(frozen=True)
class Operation:
    """One request of the mix; `route` labels it in the figures."""

    route: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()


def _push(body: dict[str, Any], label: str, **headers: str) -> Operation:
    return Operation(f"POST /v1/pushes {label}", "POST", "/v1/pushes", body, headers)


def _keyed(rng: random.Random) -> Operation:
    n = rng.randrange(8)
    return _push(ALL if n % 2 else VIP, "keyed", **{"idempotency-key": f"load-key-{n}"})


def _users(rng: random.Random) -> str:
    return ",".join(rng.sample(ACCOUNTS, 2))


_CHOICES: list[tuple[int, Any]] = [
    (18, lambda rng: _push({**rng.choice((ALL, VIP, CITY)), "dry_run": True}, "dry_run")),
    (10, lambda rng: _push(rng.choice((ALL, VIP, CITY)), "send")),
    (6, _keyed),
    (3, lambda rng: _push(INVALID, "invalid")),
    (20, lambda rng: Operation("GET /v1/quota", "GET", "/v1/quota")),
    (8, lambda rng: Operation("GET /v1/attribute-names", "GET", "/v1/attribute-names")),
    (
        8,
        lambda rng: Operation(
            "GET /v1/users/tags", "GET", f"/v1/users/tags?accounts={_users(rng)}"
        ),
    ),
    (
        7,
        lambda rng: Operation(
            "GET /v1/users/attributes", "GET", f"/v1/users/attributes?accounts={_users(rng)}"
        ),
    ),
    (
        5,
        lambda rng: Operation(
            "POST /v1/users/tags",
            "POST",
            "/v1/users/tags",
            {"users": {rng.choice(ACCOUNTS): ["vip"]}},
        ),
    ),
    (
        5,
        lambda rng: Operation(
            "PATCH /v1/users/attributes",
            "PATCH",
            "/v1/users/attributes",
            {"users": {rng.choice(ACCOUNTS): {"city": rng.choice(("NY", "SG"))}}},
        ),
    ),
]
_WEIGHTS = [w for w, _ in _CHOICES]


def next_operation(rng: random.Random) -> Operation:
    """A random operation of the mix, by weight."""
    (make,) = rng.choices([m for _, m in _CHOICES], weights=_WEIGHTS)
    operation: Operation = make(rng)
    return operation


def expected_failure(op: Operation, status: int, headers: dict[str, str]) -> str | None:
    """None when the answer is documented for this operation, else why it is not."""
    if status not in DOCUMENTED:
        return f"status {status}"
    if status in NEEDS_RETRY_AFTER and not headers.get("retry-after", "").isdigit():
        return f"status {status} without Retry-After"
    if op.route.endswith("invalid") and status != 422:
        return f"invalid body answered {status}"
    if status == 422 and not op.route.endswith("invalid"):
        return "valid request answered 422"
    return None

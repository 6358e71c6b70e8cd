"""Injected failures: queued specs that the next matching calls consume."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

from devstack.sandbox.errors import JsonObj

# `accept_then_*`: the call is processed (a push is accepted and broadcast) and only then is the
# answer lost, slow, an HTTP error, garbage, cut short or an internal-error code, which is how a
# maybe-sent attempt looks from the gateway (docs/decisions.md §3).
AFTER_ACCEPT = ("delay", "close", "http_status", "non_json", "truncated", "error_code")
KINDS = (
    "error_code",
    "http_status",
    "delay",
    "non_json",
    "close",
    *(f"accept_then_{kind}" for kind in AFTER_ACCEPT),
)


@dataclass
class Fault:
    """One spec; `times` counts down as calls consume it."""

    kind: str
    command: str = "*"
    times: int = 1
    error_code: int = 91000
    http_status: int = 502
    delay_seconds: float = 5.0

    @classmethod
    def from_json(cls, spec: Any) -> Fault:
        """Parse a control-API spec; ValueError when it is malformed."""
        if not isinstance(spec, dict) or spec.get("kind") not in KINDS:
            raise ValueError(f"fault spec needs kind in {KINDS}")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        fault = cls(**spec)
        numbers_ok = all(
            type(v) is int for v in (fault.times, fault.error_code, fault.http_status)
        ) and isinstance(fault.delay_seconds, int | float)
        if not numbers_ok or fault.times < 1 or not isinstance(fault.command, str):
            raise ValueError("times/error_code/http_status must be integers, times >= 1")
        if not 100 <= fault.http_status <= 599 or fault.delay_seconds < 0:
            raise ValueError("http_status must be 100..599 and delay_seconds >= 0")
        return fault

    def to_json(self) -> JsonObj:
        """JSON-ready copy."""
        return asdict(self)


class FaultQueue:
    """FIFO of faults; each call takes the first one matching its command."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue one fault."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> int:
        """Drop every queued fault; return how many there were."""
        with self._lock:
            count = len(self._faults)
            self._faults.clear()
            return count

    def pending(self) -> list[JsonObj]:
        """Queued faults, JSON-ready."""
        with self._lock:
            return [f.to_json() for f in self._faults]

    def take(self, command: str) -> Fault | None:
        """Consume one use of the first fault for `command` (or "*")."""
        with self._lock:
            for fault in self._faults:
                if fault.command in ("*", command):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

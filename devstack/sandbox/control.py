"""The JSON control API under /_sandbox/ that tests and the local stack use."""

from __future__ import annotations

import json
from typing import Any

from devstack.sandbox.core import SandboxCore
from devstack.sandbox.errors import JsonObj
from devstack.sandbox.faults import Fault, FaultQueue

Reply = tuple[int, Any]


def handle_control(
    core: SandboxCore, faults: FaultQueue, method: str, path: str, raw: bytes
) -> Reply:
    """(HTTP status, JSON payload) for one control request; 400 for a bad body, 404 otherwise."""
    try:
        body = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        return _route(core, faults, method, path.removeprefix("/_sandbox/"), body)
    except (UnicodeError, ValueError, TypeError) as err:
        return 400, {"error": str(err)}


def _route(core: SandboxCore, faults: FaultQueue, method: str, route: str, body: Any) -> Reply:
    match method, route:
        case "GET", "pushes":
            return 200, {"pushes": core.pushes()}
        case "GET", "calls":
            return 200, {"calls": core.calls()}
        case "GET", "state":
            return 200, {**core.snapshot(), "faults": faults.pending()}
        case "POST", "users":
            return 200, {"users": core.add_users(_accounts(body))}
        case "POST", "reset":
            core.reset()
            return 200, {"cleared_faults": faults.clear()}
        case "POST", "faults":
            specs = body if isinstance(body, list) else [body]
            parsed = [Fault.from_json(spec) for spec in specs]
            for fault in parsed:
                faults.add(fault)
            return 200, {"queued": len(parsed)}
        case "GET", "faults":
            return 200, {"faults": faults.pending()}
        case "DELETE", "faults":
            return 200, {"cleared": faults.clear()}
        case "POST", "clock":
            return 200, {"now": core.advance_clock(_seconds(body))}
    return 404, {"error": f"no control route {method} /_sandbox/{route}"}


def _accounts(body: JsonObj) -> list[str]:
    accounts = body.get("accounts") if isinstance(body, dict) else None
    if not isinstance(accounts, list) or not all(isinstance(a, str) and a for a in accounts):
        raise ValueError('body must be {"accounts": [non-empty strings]}')
    return accounts


def _seconds(body: JsonObj) -> float:
    seconds: Any = body.get("advance_seconds") if isinstance(body, dict) else None
    if type(seconds) not in (int, float) or seconds < 0:
        raise ValueError('body must be {"advance_seconds": non-negative number}')
    return float(seconds)

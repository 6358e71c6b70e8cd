"""Call the audience Lambda handler with events from `events/` and a tiny fake context."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions.audience_api import handler

EVENTS = Path(__file__).resolve().parents[2] / "events"


@dataclass
class Context:
    function_name: str = "AudienceApiFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:ap-southeast-1:123456789012:function:audience"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 10_000


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"audience_{name}.json").read_text("utf-8"))
    return data


def with_body(name: str, body: bytes | str, *, b64: bool = False) -> dict[str, Any]:
    ev = copy.deepcopy(load_event(name))
    raw = body.encode() if isinstance(body, str) else body
    ev["body"] = base64.b64encode(raw).decode() if b64 else raw.decode()
    ev["isBase64Encoded"] = b64
    return ev


def invoke(ev: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
    result = handler.lambda_handler(ev, Context())
    return result["statusCode"], result.get("headers") or {}, json.loads(result["body"])

"""Drive the real handlers in-process against the sandbox and moto behind the fault proxy."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from devstack.faulty_aws import FaultyAws
from devstack.sandbox import UpstreamSandbox
from tests.support.capture import CAPTURE
from tests.support.env import load_event
from tests.support.lambda_context import FakeLambdaContext

SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def code(self) -> Any:
        return self.body.get("code")


class Gateway:
    """The push_api / push_event handlers as a caller sees them."""

    def __init__(self, sandbox: UpstreamSandbox, aws: FaultyAws) -> None:
        self.sandbox = sandbox
        self.aws = aws

    def push(
        self,
        body: dict[str, Any] | None = None,
        *,
        key: str | None = None,
        remaining_ms: int = 30_000,
    ) -> Answer:
        event = load_event("push_api_post_idempotent.json")
        event["headers"].pop("idempotency-key")
        if key is not None:
            event["headers"]["idempotency-key"] = key
        event["body"] = json.dumps(body or SALE)
        return self._invoke(event, remaining_ms)

    def recall(self, push_id: str, *, remaining_ms: int = 30_000) -> Answer:
        event = load_event("push_api_post_recall.json")
        event["pathParameters"] = {"push_id": push_id}
        return self._invoke(event, remaining_ms)

    def calls_of(self, command: str) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.calls() if c["command"] == command]

    def quota_answer(self) -> Answer:
        return self._invoke(load_event("push_api_get_quota.json"), 30_000)

    def quota(self) -> dict[str, Any]:
        answer = self.quota_answer()
        assert answer.status == 200, answer.body
        return answer.body

    def push_event(self, detail: dict[str, Any], *, remaining_ms: int = 30_000) -> dict[str, Any]:
        from functions.push_event.handler import lambda_handler

        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Push Requested",
            "source": "orders-service",
            "account": "123456789012",
            "time": "2026-11-26T02:00:00Z",
            "region": "ap-southeast-1",
            "resources": [],
            "detail": detail,
        }
        out: dict[str, Any] = lambda_handler(event, FakeLambdaContext(timeout_ms=remaining_ms))
        return out

    def published(self) -> list[dict[str, Any]]:
        """Entries of every PutEvents call the functions made (also fed to the hygiene scan)."""
        entries: list[dict[str, Any]] = []
        for call in self.aws.calls("AWSEvents.PutEvents"):
            CAPTURE.record("published event", call.body.decode("utf-8", errors="replace"))
            entries.extend(json.loads(call.body)["Entries"])
        return entries

    def im_push_calls(self) -> list[dict[str, Any]]:
        return [c for c in self.sandbox.calls() if c["command"] == "im_push"]

    def _invoke(self, event: dict[str, Any], remaining_ms: int) -> Answer:
        from functions.push_api.handler import lambda_handler

        out = lambda_handler(event, FakeLambdaContext(timeout_ms=remaining_ms))
        CAPTURE.record("http response", str(out.get("body", "")))
        headers = {k.lower(): v for k, v in (out.get("headers") or {}).items()}
        return Answer(out["statusCode"], headers, json.loads(out.get("body") or "{}"))

"""A recording stand-in for the upstream client: scripted answers per command, no network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from push_common.errors import GatewayError

Answer = Callable[[Mapping[str, Any]], dict[str, Any]]


class FakeUpstreamError(GatewayError):
    """Shaped like `tim_client.UpstreamError`: a GatewayError with `error_code`/`error_info`."""

    status = 502
    default_code = "upstream_rejected"
    title = "Tencent IM rejected the call"

    def __init__(self, error_code: int, error_info: str = "rejected") -> None:
        super().__init__(f"upstream error {error_code}: {error_info}", upstream_code=error_code)
        self.error_code = error_code
        self.error_info = error_info


@dataclass
class FakeTim:
    """Calls are recorded as `(command, body)`; `answers[command]` computes the response."""

    answers: dict[str, Answer] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def call(
        self,
        command: str,
        body: Mapping[str, Any],
        *,
        service: str = "all_member_push",
        deadline: float | None = None,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        assert service == "all_member_push"
        self.calls.append((command, dict(body)))
        answer = self.answers.get(command)
        reply = answer(body) if answer else {}
        return {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "", **reply}

    def commands(self) -> list[str]:
        return [command for command, _ in self.calls]


def names_answer(*names: str) -> Answer:
    """An `im_get_attr_name` answer listing `names` at indexes 0..n-1."""
    return lambda _body: {"AttrNames": {str(i): name for i, name in enumerate(names)}}


def failing(error: GatewayError) -> Answer:
    def answer(_body: Mapping[str, Any]) -> dict[str, Any]:
        raise error

    return answer

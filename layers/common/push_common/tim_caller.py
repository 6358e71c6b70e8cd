"""The slice of the upstream client (`tim_client.TimClient`) that callers type against, so tests
can pass a fake; and a wrapper that gives every call of one request the same deadline."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class TimCaller(Protocol):
    """`push_common.tim_client.TimClient` satisfies this structurally."""

    def call(
        self,
        command: str,
        body: Mapping[str, Any],
        *,
        service: str = ...,
        deadline: float | None = ...,
        at_most_once: bool = ...,
    ) -> dict[str, Any]:
        """Send one command; return the parsed response (ErrorCode 0) or raise a GatewayError."""
        ...


class DeadlineCaller:
    """Passes one `deadline` (a `time.monotonic()` instant) to every call of a request.

    Chunked writes then stop cleanly before the Lambda times out, reporting the accounts not
    reached as failed instead of dying half-applied.
    """

    def __init__(self, client: TimCaller, deadline: float | None) -> None:
        self._client = client
        self._deadline = deadline

    def call(
        self,
        command: str,
        body: Mapping[str, Any],
        *,
        service: str = "all_member_push",
        deadline: float | None = None,
        at_most_once: bool = False,
    ) -> dict[str, Any]:
        """Forward to the wrapped client with the request's deadline (or an earlier one)."""
        limit = min((d for d in (self._deadline, deadline) if d is not None), default=None)
        return self._client.call(
            command, body, service=service, deadline=limit, at_most_once=at_most_once
        )

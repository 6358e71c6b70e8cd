"""A small router for API Gateway HTTP API (payload v2) events.

Powertools' `APIGatewayHttpResolver` would do the job, but importing
`aws_lambda_powertools.event_handler` loads every resolver it ships (AppSync, GraphQL, OpenAPI,
asyncio, all event data classes): measured as most of our cold-start overhead over a bare
boto3+pydantic script and ~4 MiB per function (bench/RESULTS.md). Routing a few paths needs
none of it. A templated route (`/v1/pushes/{push_id}`) is registered under its template: API
Gateway's routeKey names the template, and the values are in `pathParameters`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from push_common.edge.http import ApiGatewayResponse, caller_identity, problem_response, raw_body
from push_common.errors import GatewayError, InternalError, MethodNotAllowed, NotFound
from push_common.identity import Caller
from push_common.observability import count, count_by, logger


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class HttpRequest:
    event: Mapping[str, Any]
    context: LambdaContextLike

    @cached_property
    def headers(self) -> dict[str, str]:
        return {str(k).lower(): str(v) for k, v in (self.event.get("headers") or {}).items()}

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(self.event.get("queryStringParameters") or {})

    @cached_property
    def path_parameters(self) -> dict[str, str]:
        """Values of the route's `{name}` segments, as API Gateway matched them."""
        return {str(k): str(v) for k, v in (self.event.get("pathParameters") or {}).items()}

    @cached_property
    def identity(self) -> Caller:
        return caller_identity(self.event)

    @cached_property
    def caller(self) -> str:
        """The normalised caller: a role, not one of its sessions."""
        return self.identity.name

    def body(self) -> bytes:
        return raw_body(self.event)

    def deadline(self, margin_seconds: float) -> float:
        """A time.monotonic() instant `margin_seconds` before this invocation times out."""
        remaining = self.context.get_remaining_time_in_millis() / 1000
        return time.monotonic() + remaining - margin_seconds


Route = Callable[[HttpRequest], ApiGatewayResponse]


class Router:
    """(method, path) → route function; GatewayErrors become problem+json responses."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Route] = {}

    def route(self, method: str, path: str) -> Callable[[Route], Route]:
        def register(func: Route) -> Route:
            self._routes[(method.upper(), path)] = func
            return func

        return register

    def routes(self) -> list[tuple[str, str]]:
        return sorted(self._routes)

    def resolve(self, event: Mapping[str, Any], context: LambdaContextLike) -> dict[str, Any]:
        request = HttpRequest(event, context)
        try:
            response = self._find(event)(request)
        except GatewayError as exc:
            logger.warning("request refused", code=exc.code, status=exc.status, detail=exc.detail)
            count("RequestRefused")
            count_by("RefusedByCode", "code", exc.code)
            response = problem_response(exc)
        except Exception:  # a bug: still problem+json, never a bare 500 (details only in logs)
            logger.exception("unexpected error")
            count("RequestRefused")
            response = problem_response(InternalError("unexpected error; see the logs"))
        return response.to_apigw()

    def _find(self, event: Mapping[str, Any]) -> Route:
        method, path = _method_and_path(event)
        if (route := self._routes.get((method, path))) is not None:
            return route
        allowed = sorted(m for m, p in self._routes if p == path)
        if allowed:
            raise MethodNotAllowed(f"{method} is not allowed on {path}", allow=allowed)
        raise NotFound(f"no route {method} {path}")


def _method_and_path(event: Mapping[str, Any]) -> tuple[str, str]:
    # routeKey is what API Gateway matched ("POST /v1/pushes"); rawPath carries a stage prefix
    # on non-default stages, so it is only the fallback.
    route_key = str(event.get("routeKey") or "")
    if " " in route_key:
        method, path = route_key.split(" ", 1)
        return method.upper(), path
    http = (event.get("requestContext") or {}).get("http") or {}
    return str(http.get("method", "")).upper(), str(event.get("rawPath", ""))

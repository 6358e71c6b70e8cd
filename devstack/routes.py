"""HTTP API route matching as API Gateway does it: `{name}`, `{name+}` variables, `ANY` methods."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Match:
    """A request that found its route."""

    route_key: str
    function: str
    path_parameters: dict[str, str]


@dataclass(frozen=True)
class MethodNotAllowed:
    """The path exists, with other methods."""

    allowed: list[str]


def _compile(path: str) -> re.Pattern[str]:
    pattern = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
    pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", pattern)
    return re.compile(f"^{pattern}$")


class Router:
    """Finds the function for (method, path) among the template's HttpApi routes."""

    def __init__(self, routes: Mapping[tuple[str, str], str]) -> None:
        # Static paths first, then fewer variables first: API Gateway prefers the most specific.
        ordered = sorted(routes.items(), key=lambda item: (item[0][1].count("{"), item[0][1]))
        self._routes = [(method, path, _compile(path), fn) for (method, path), fn in ordered]

    def match(self, method: str, path: str) -> Match | MethodNotAllowed | None:
        """The route for this request, MethodNotAllowed, or None when no path matches."""
        allowed: list[str] = []
        for route_method, route_path, regex, function in self._routes:
            found = regex.match(path)
            if found is None:
                continue
            if route_method in (method, "ANY"):
                return Match(f"{route_method} {route_path}", function, found.groupdict())
            allowed.append(route_method)
        return MethodNotAllowed(sorted(set(allowed))) if allowed else None

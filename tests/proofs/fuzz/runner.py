"""Send one fuzz case over real HTTP and judge the answer against the OpenAPI document."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, cast

import urllib3

from tests.support.openapi_spec import response_problems

CALLER_HEADER = "x-local-caller-arn"
FUZZ_CALLER = "arn:aws:iam::123456789012:role/fuzz-admin"


@dataclass(frozen=True)
class Case:
    """One request: route, raw query and body, and headers (bytes values are sent as is).

    `path` is the documented route (`/v1/pushes/{push_id}`), `target` the path sent when it is
    not that route itself (`/v1/pushes/abc`).
    """

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str | bytes], ...] = (("content-type", "application/json"),)
    query: str = ""
    label: str = "generated"
    target: str | None = None

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    def describe(self) -> str:
        """The exact input, short enough for a report (long bodies are cut, their size kept)."""
        body = self.body if len(self.body) <= 400 else self.body[:400] + b"...(cut)"
        query = self.query if len(self.query) <= 200 else self.query[:200] + "...(cut)"
        sent = self.target or self.path
        target = sent if len(sent) <= 200 else sent[:200] + "...(cut)"
        return (
            f"{self.method} {target}?{query} headers={dict(self.headers)!r} "
            f"body[{len(self.body)} bytes]={body!r}"
        )


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    problems: tuple[str, ...]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Tally:
    """Cases run and the failures seen for one route."""

    cases: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def line(self, route: str) -> str:
        seen = ", ".join(f"{s}x{n}" for s, n in sorted(self.statuses.items()))
        return f"fuzz: {route}: {self.cases} cases, {len(self.failures)} failures ({seen})"


TALLIES: dict[str, Tally] = {}


class Fuzzer:
    """Runs cases against one stack; every answer is checked, every failure recorded."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url
        self._pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=60))

    def run(self, case: Case) -> Answer:
        """Send `case`; the answer's `problems` say how it breaks the document (or a 5xx)."""
        # http.client sends bytes header values as they are (urllib3's hints say str only).
        headers = cast("dict[str, str]", {CALLER_HEADER: FUZZ_CALLER, **dict(case.headers)})
        reply = self._pool.request(
            case.method,
            f"{self._base}{case.target or case.path}" + (f"?{case.query}" if case.query else ""),
            body=case.body or None,
            headers=headers,
            redirect=False,
        )
        got = {k.lower(): v for k, v in reply.headers.items()}
        problems = response_problems(case.method, case.path, reply.status, got, reply.data)
        if reply.status >= 500:
            problems = [f"5xx answer {reply.status}", *problems]
        answer = Answer(reply.status, got, reply.data, tuple(problems))
        tally = TALLIES.setdefault(case.route, Tally())
        tally.cases += 1
        tally.statuses[reply.status] += 1
        tally.failures += [f"[{case.label}] {p}\n    input: {case.describe()}" for p in problems]
        return answer


def report(route: str) -> str:
    """`fuzz: N cases, M failures` for `route`, then every failure."""
    tally = TALLIES.get(route, Tally())
    return "\n".join([tally.line(route), *tally.failures[:20]])

"""Helpers for the upstream sandbox tests: a controllable clock, signed URLs, an HTTP client."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import TLSSigAPIv2
import urllib3

from devstack.sandbox import UpstreamSandbox
from devstack.sandbox.server import DEV_KEY

SDKAPPID = 1400000000
ADMIN = "administrator"
KEY = DEV_KEY
TEN_DAYS = 10 * 86400


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_usersig(
    identifier: str = ADMIN, *, sdkappid: int = SDKAPPID, key: str = KEY, expire: int = TEN_DAYS
) -> str:
    """A UserSig from Tencent's own generator (ints for sdkappid and expire)."""
    sig: str = TLSSigAPIv2.TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire)
    return sig


def signed_url(base: str, command: str, usersig: str, **overrides: Any) -> str:
    """A REST URL with a properly encoded query; `None` in overrides drops a parameter."""
    query: dict[str, Any] = {
        "sdkappid": SDKAPPID,
        "identifier": ADMIN,
        "usersig": usersig,
        "random": 12345,
        "contenttype": "json",
    }
    query.update(overrides)
    kept = {k: v for k, v in query.items() if v is not None}
    # "im_push" is an all_member_push command; "timpush/push" names its family itself.
    path = command if "/" in command else f"all_member_push/{command}"
    return f"{base}/v4/{path}?{urlencode(kept)}"


def push_body(msg_random: int = 1, **fields: Any) -> dict[str, Any]:
    """A valid im_push body; `fields` override or add top-level keys."""
    body: dict[str, Any] = {
        "MsgRandom": msg_random,
        "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}}],
    }
    body.update(fields)
    return body


class Client:
    """Talks to one sandbox over a keep-alive connection pool."""

    def __init__(self, sandbox: UpstreamSandbox, clock: FakeClock) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.http = urllib3.PoolManager(retries=False, timeout=5.0)
        self.usersig = make_usersig()

    def request(self, command: str, body: Any = None, raw: bytes | None = None, **query: Any):
        """POST a REST call; returns the urllib3 response."""
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode()
        url = signed_url(self.sandbox.url, command, query.pop("usersig", self.usersig), **query)
        return self.http.request("POST", url, body=data)

    def call(self, command: str, body: Any = None, raw: bytes | None = None, **query: Any):
        """POST a REST call and return the decoded envelope (asserting HTTP 200)."""
        response = self.request(command, body, raw, **query)
        assert response.status == 200
        return response.json()

    def code(self, command: str, body: Any = None, **query: Any) -> int:
        """Only the ErrorCode of a call."""
        code: int = self.call(command, body, **query)["ErrorCode"]
        return code

    def push(self, body: dict[str, Any], *, wait: float = 1.5) -> dict[str, Any]:
        """Advance the clock past the push interval, then im_push."""
        self.clock.advance(wait)
        result: dict[str, Any] = self.call("im_push", body)
        return result

    def control(self, method: str, route: str, body: Any = None) -> tuple[int, Any]:
        """Call the control API; returns (status, JSON)."""
        data = None if body is None else json.dumps(body).encode()
        response = self.http.request(method, f"{self.sandbox.url}/_sandbox/{route}", body=data)
        return response.status, response.json()

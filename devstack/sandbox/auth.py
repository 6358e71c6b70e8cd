"""Query-string checks every REST call passes before its command runs (docs/upstream.md §1.1)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from devstack.sandbox.errors import ApiError
from devstack.sandbox.rules import UINT32_MAX
from devstack.sandbox.usersig_verify import verify_usersig


@dataclass(frozen=True)
class AppConfig:
    """The one app the sandbox hosts."""

    sdkappid: int
    identifier: str
    key: str


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def check_query(query_string: str, app: AppConfig, now: float) -> None:
    """Raise ApiError unless sdkappid, random, contenttype, usersig and identifier are right."""
    query = parse_qs(query_string, keep_blank_values=True)
    sdkappid = _one(query, "sdkappid")
    if not sdkappid:
        raise ApiError(60012, "sdkappid missing")
    if sdkappid != str(app.sdkappid):
        raise ApiError(70020, "SDKAppID not found")
    random = _one(query, "random") or ""
    if not (random.isdigit() and random.isascii() and int(random) <= UINT32_MAX):
        raise ApiError(60002, "random must be an integer in 0..4294967295")
    if _one(query, "contenttype") != "json":
        raise ApiError(60002, "contenttype must be json")
    identifier = _one(query, "identifier")
    if not identifier:
        raise ApiError(60002, "identifier missing")
    code = verify_usersig(
        _one(query, "usersig") or "",
        key=app.key,
        sdkappid=app.sdkappid,
        identifier=identifier,
        now=now,
    )
    if code:
        raise ApiError(code, "UserSig verification failed")
    if identifier != app.identifier:
        raise ApiError(90009, "an App admin account is required")

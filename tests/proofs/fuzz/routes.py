"""Every documented route with valid seed bodies, and the strategy of hostile cases for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.proofs.fuzz.runner import Case
from tests.proofs.fuzz.strategies import (
    accounts_query,
    body_strategy,
    content_types,
    idempotency_keys,
    list_query,
    push_id_paths,
    raw_bodies,
)

ACCOUNT = "fz-alice"
ATTRIBUTE_NAMES = ["sex", "city"]  # the fuzz stack's app names (set by the fuzz conftest.py)
TEXT = {"text": "Sale starts now"}
PUSH_SEEDS: tuple[dict[str, Any], ...] = (
    {"audience": {"all": True}, "message": TEXT, "dry_run": True},
    {"audience": {"tags": {"any": ["vip"], "all": ["beta"]}}, "message": TEXT, "dry_run": True},
    {"audience": {"attributes": {"any": {"city": "NY"}}}, "message": TEXT, "dry_run": True},
    {
        "audience": {"all": True},
        "message": {
            "elements": [
                {"type": "text", "text": "hi"},
                {"type": "location", "desc": "here", "latitude": 1.5, "longitude": -2.5},
                {"type": "face", "index": 1, "data": "x"},
                {"type": "custom", "data": "{}", "desc": "d"},
                {"type": "image", "uuid": "u", "image_format": 1,
                 "image_info_array": [{"type": 1, "url": "https://i/1", "width": 1, "height": 1}]},
            ]
        },
        "offline_ttl_seconds": 3600,
        "notification": {"title": "Sale", "body": "Now", "ext": "{}",
                         "android": {"sound": "s", "vivo_classification": 1},
                         "apns": {"badge": "unchanged", "mutable_content": True}},
        "dry_run": True,
    },
    # A scheduled push (docs/architecture.md §14): two days ahead, so always in the window.
    {"audience": {"all": True}, "message": TEXT, "dry_run": True,
     "send_at": (datetime.now(UTC) + timedelta(days=2)).isoformat(timespec="seconds")},
)  # fmt: skip
BODY_SEEDS: dict[tuple[str, str], tuple[dict[str, Any], ...]] = {
    ("POST", "/v1/pushes"): PUSH_SEEDS,
    ("PUT", "/v1/attribute-names"): ({"names": ["sex", "city"]},),
    ("PATCH", "/v1/users/attributes"): ({"users": {ACCOUNT: {"city": "NY"}}},),
    ("POST", "/v1/users/attributes/remove"): ({"users": {ACCOUNT: ["city"]}},),
    ("POST", "/v1/users/tags"): ({"users": {ACCOUNT: ["vip", "beta"]}},),
    ("POST", "/v1/users/tags/remove"): ({"users": {ACCOUNT: ["beta"]}},),
    ("POST", "/v1/users/tags/clear"): ({"accounts": [ACCOUNT]},),
}
RECALL = ("POST", "/v1/pushes/{push_id}/recall")
BODY_SEEDS[RECALL] = ({"notification": {"title": "Cancelled", "body": "Sorry"}},)
QUERY_ROUTES = {("GET", "/v1/users/attributes"), ("GET", "/v1/users/tags")}
PLAIN_ROUTES = {
    ("GET", "/v1/quota"),
    ("GET", "/v1/attribute-names"),
    ("GET", "/v1/pushes/{push_id}/report"),
}
LIST_ROUTE = ("GET", "/v1/pushes")
RECORD_ROUTE = ("GET", "/v1/pushes/{push_id}")  # templated: the cases fill the path in
# Approval (docs/architecture.md §16): the fuzz stack has approvals off, so a known push answers
# 403 (the fuzz caller is its requester), an unknown one 404, a malformed id 422.
APPROVAL_ROUTES = {
    ("POST", "/v1/pushes/{push_id}/approve"),
    ("POST", "/v1/pushes/{push_id}/reject"),
}
PATH_ROUTES = {("DELETE", "/v1/pushes/{push_id}"), *APPROVAL_ROUTES}
ALL_ROUTES = sorted(
    {*BODY_SEEDS, *QUERY_ROUTES, *PLAIN_ROUTES, *PATH_ROUTES, LIST_ROUTE, RECORD_ROUTE}
)
# Ids of real pushes on the fuzz stack (filled by its fixture), besides unknown ones.
KNOWN_PUSH_IDS: list[str] = []
UNKNOWN_PUSH_IDS = ("00000000-0000-4000-8000-000000000000", "nope", "x" * 300, "%C3%A9t%C3%A9")

# Push ids a caller might send: well-formed unknown ones, and anything else, escaped.
push_ids = st.one_of(
    st.uuids().map(str),
    st.text(min_size=1, max_size=300).map(lambda text: quote(text, safe="")),
)
quota_queries = st.one_of(
    st.sampled_from(["", "accounts=a", "%ff=%fe", "x=" + "y" * 5000, "date=", "date=x"]),
    st.dates().map(lambda day: f"date={day.isoformat()}"),
    st.integers(-3, 40).map(
        lambda days: f"date={(datetime.now(UTC) + timedelta(days=days)).date().isoformat()}"
    ),
)


@st.composite
def _headers(draw: st.DrawFn, *, idempotent: bool) -> tuple[tuple[str, str | bytes], ...]:
    out: list[tuple[str, str | bytes]] = []
    if (content_type := draw(content_types)) is not None:
        out.append(("content-type", content_type))
    if idempotent and (key := draw(idempotency_keys)) is not None:
        out.append(("idempotency-key", key))
    return tuple(out)


def cases(method: str, path: str) -> st.SearchStrategy[Case]:
    """Hostile requests for one route (pushes are forced to dry runs when they parse)."""
    route = (method, path)
    query: st.SearchStrategy[str]
    if route == RECORD_ROUTE:
        return st.builds(
            Case, st.just(method), st.just(path), raw_bodies, _headers(idempotent=False),
            st.sampled_from(["", "x=1", "%ff=%fe"]), target=push_id_paths(),
        )  # fmt: skip
    if route in PATH_ROUTES:
        ids = push_ids
        if route in APPROVAL_ROUTES:
            ids = st.one_of(push_ids, st.sampled_from([*KNOWN_PUSH_IDS, *UNKNOWN_PUSH_IDS]))
        return st.builds(
            Case,
            st.just(method),
            st.just(path),
            st.sampled_from([b"", b"\xff", b"{}"]),
            _headers(idempotent=False),
            st.sampled_from(["", "%ff=%fe"]),
            target=ids.map(lambda push_id: path.replace("{push_id}", push_id)),
        )
    if route == ("GET", "/v1/quota"):
        return st.builds(
            Case,
            st.just(method),
            st.just(path),
            raw_bodies,
            _headers(idempotent=False),
            quota_queries,
        )
    if route == LIST_ROUTE:
        body, query = st.sampled_from([b"", b"\xff", b"{}"]), list_query()
    elif route in BODY_SEEDS:
        body = body_strategy(BODY_SEEDS[route], force_dry_run=path == "/v1/pushes")
        query = st.sampled_from(["", "dry_run=false", "%ff=%fe"])
    elif route in QUERY_ROUTES:
        body, query = st.sampled_from([b"", b"\xff", b"{}"]), accounts_query()
    else:
        body, query = raw_bodies, st.sampled_from(["", "accounts=a", "%ff=%fe", "x=" + "y" * 5000])
    headers = _headers(idempotent=path == "/v1/pushes")
    target: st.SearchStrategy[str | None] = st.just(None)
    if "{push_id}" in path:
        ids = st.sampled_from([*KNOWN_PUSH_IDS, *UNKNOWN_PUSH_IDS])
        target = ids.map(lambda push_id: path.replace("{push_id}", push_id))
    return st.builds(Case, st.just(method), st.just(path), body, headers, query, target=target)

"""Hypothesis strategies for hostile request bodies, queries and headers.

`hypothesis-jsonschema` is not installed, so instead of generating from the schemas these mutate
valid seed bodies: drop, rename, add and retype fields, swap strings for Unicode edge cases,
and re-encode the result in ways a JSON parser may or may not accept.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from tests.proofs.fuzz.texts import CONTENT_TYPES, EDGE_TEXTS, RAW_BODIES

Json = Any
Path = tuple[str | int, ...]

edge_text = st.one_of(st.sampled_from(EDGE_TEXTS), st.text(max_size=30))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    edge_text,
)
json_values = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(edge_text, inner, max_size=4),
    max_leaves=8,
)


def _paths(node: Json, prefix: Path = ()) -> list[Path]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


def _parent(root: Json, path: Path) -> Json:
    for part in path[:-1]:
        root = root[part]
    return root


@st.composite
def mutate_once(draw: st.DrawFn, body: Json) -> Json:
    """`body` with one node replaced, removed, renamed, wrapped or given an unknown sibling."""
    body = copy.deepcopy(body)
    path = draw(st.sampled_from(_paths(body)))
    if not path:
        return draw(st.one_of(json_values, st.just(body)))
    parent, last = _parent(body, path), path[-1]
    op = draw(st.sampled_from(["replace", "text", "delete", "rename", "add", "wrap", "repeat"]))
    if op == "replace":
        parent[last] = draw(json_values)
    elif op == "text":
        parent[last] = draw(edge_text)
    elif op == "delete":
        del parent[last]
    elif op == "rename" and isinstance(parent, dict):
        parent[draw(edge_text)] = parent.pop(last)
    elif op == "add" and isinstance(parent, dict):
        parent[draw(edge_text)] = draw(json_values)
    elif op == "wrap":
        parent[last] = draw(st.sampled_from([[parent[last]], {"value": parent[last]}]))
    elif isinstance(parent, list) and isinstance(last, int):
        parent.extend([parent[last]] * draw(st.integers(1, 12)))
    return body


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[Json]) -> Json:
    """A seed with one to three mutations."""
    body = draw(st.sampled_from(seeds))
    for _ in range(draw(st.integers(1, 3))):
        body = draw(mutate_once(body))
    return body


@st.composite
def retexted(draw: st.DrawFn, seeds: Sequence[Json]) -> Json:
    """A seed, its structure kept, with some strings (values and keys) swapped for edge texts."""
    body = copy.deepcopy(draw(st.sampled_from(seeds)))
    for path in _paths(body):
        parent = _parent(body, path) if path else None
        if parent is None or not isinstance(parent[path[-1]], str) or not draw(st.booleans()):
            continue
        parent[path[-1]] = draw(edge_text)
    if isinstance(body.get("users"), dict) and draw(st.booleans()):
        body["users"] = {draw(edge_text): v for v in body["users"].values()}
    return body


@st.composite
def encoded(draw: st.DrawFn, body: Json) -> bytes:
    """`body` as bytes: escaped or raw UTF-8 (lone surrogates kept as invalid bytes), or worse."""
    # Mostly well-formed JSON, so most cases reach validation and the handlers behind it.
    how = draw(st.sampled_from([*["ascii", "raw"] * 4, "pretty", "utf16", "latin1", "cut", "dup"]))
    if how == "ascii":
        return json.dumps(body).encode()
    if how == "dup" and isinstance(body, dict) and body:
        key, value = next(iter(body.items()))  # the first key twice: a parser keeps one silently
        return f"{{{json.dumps(key)}:{json.dumps(value)},{json.dumps(body)[1:]}".encode()
    text = json.dumps(body, ensure_ascii=False, indent=2 if how == "pretty" else None)
    if how in ("raw", "pretty"):
        return text.encode("utf-8", "surrogatepass")
    if how == "utf16":
        return text.encode("utf-16", "surrogatepass")
    if how == "latin1":
        return text.encode("latin-1", "replace")
    raw = text.encode("utf-8", "surrogatepass")
    return raw[: draw(st.integers(0, max(0, len(raw) - 1)))]


raw_bodies = st.one_of(st.sampled_from(RAW_BODIES), st.binary(max_size=64))


@st.composite
def deep(draw: st.DrawFn, keys: Sequence[str]) -> bytes:
    """A seed key holding lists or objects nested thousands deep."""
    depth = draw(st.sampled_from([64, 999, 1001, 5000, 100_000]))
    key = json.dumps(draw(st.sampled_from(keys)))
    if draw(st.booleans()):
        return f"{{{key}:{'[' * depth}{']' * depth}}}".encode()
    return f"{{{key}:{'{"a":' * depth}1{'}' * depth}}}".encode()


def body_strategy(
    seeds: Sequence[Json], *, force_dry_run: bool = False
) -> st.SearchStrategy[bytes]:
    """Request bodies for a JSON route: mostly mutated seeds, some raw bytes and deep nesting."""
    keys = sorted({k for s in seeds for k in s})

    @st.composite
    def mutated_bytes(draw: st.DrawFn) -> bytes:
        body = draw(mutated(seeds) | retexted(seeds))
        if force_dry_run and isinstance(body, dict) and body.get("dry_run", False) is False:
            body["dry_run"] = True  # keep fuzzed pushes from spending the quota
        return draw(encoded(body))

    return st.one_of(*[mutated_bytes()] * 8, raw_bodies, deep(keys))


content_types = st.sampled_from(CONTENT_TYPES)
idempotency_keys = st.one_of(
    st.none(),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    st.sampled_from(["", " ", "x" * 255, "x" * 256, "\x7f", "a\tb"]),
    st.sampled_from([b"caf\xe9", b"\xff\xfe", "中".encode()]),
)


@st.composite
def accounts_query(draw: st.DrawFn) -> str:
    """An `accounts=` query: edge-case ids, empty items, repeats, extra or odd parameters."""
    plain = st.from_regex(r"[a-z0-9_-]{1,12}", fullmatch=True)
    ids = draw(st.lists(edge_text, max_size=5) | st.lists(plain, min_size=1, max_size=5))
    encoded_ids = ",".join(quote(i.encode("utf-8", "surrogatepass"), safe="") for i in ids)
    extra = draw(st.sampled_from(["", "", "", "&accounts=zed", "&foo=1", "&accounts", "&%ff=1"]))
    name = draw(st.sampled_from(["accounts="] * 6 + ["ACCOUNTS=", "accounts[]="]))
    return name + encoded_ids + extra


# `GET /v1/pushes` parameters: valid values, near misses and garbage, in any combination.
_LIST_VALUES = {
    "since": ["2026-11-29T00:00:00Z", "2026-11-29T08:00:00+08:00", "2026-11-29T00:00:00.1234567Z",
              "2026-11-29", "2026-11-29T00:00:00", "0001-01-01T00:00:00+01:00",
              "9999-12-31T23:59:59.9999Z", "2026-13-01T00:00:00Z", "yesterday"],
    "until": ["2026-12-31T00:00:00Z", "2026-11-28T00:00:00-05:00", "2026-11-29T10:00:60Z"],
    "status": ["submitted", "failed", "outcome_unknown", "sending", "pending_approval", "done",
               "SUBMITTED"],
    "kind": ["broadcast", "test", "all"],
    "caller": ["arn:aws:iam::123456789012:role/fuzz-admin",
               "arn:aws:sts::123456789012:assumed-role/fuzz-admin/s1",
               "arn:aws:iam::123456789012:role/path/fuzz-admin", "eventbridge:orders", "x" * 1100],
    "limit": ["1", "2", "100", "0", "101", "-1", "1.5", "1e2", "abc"],
    "cursor": ["abc", "!!", "eyJrIjp7fSwiZiI6IngifQ", "x" * 5000],
}  # fmt: skip


@st.composite
def list_query(draw: st.DrawFn) -> str:
    """A `GET /v1/pushes` query: some parameters with valid, odd or edge-case values."""
    names = draw(st.lists(st.sampled_from(sorted(_LIST_VALUES)), max_size=4, unique=True))
    pairs = []
    for name in names:
        value = draw(st.sampled_from(_LIST_VALUES[name]) | edge_text)
        pairs.append(f"{name}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}")
    extra = draw(st.sampled_from(["", "", "", "&limit=2", "&foo=1", "&status", "&%ff=1", "&=x"]))
    return "&".join(pairs) + extra


@st.composite
def push_id_paths(draw: st.DrawFn) -> str:
    """`/v1/pushes/<id>`: ids that may or may not exist, odd bytes percent-encoded, `/` too."""
    plain = st.from_regex(r"[A-Za-z0-9-]{1,70}", fullmatch=True)
    uuids = st.uuids().map(str)
    odd = st.sampled_from(["%2F", "a%2Fb", "%00", "%ff", "%", "a%2", "..", ".", "%2e%2e", "a b"])
    text = edge_text.map(lambda t: quote(t.encode("utf-8", "surrogatepass"), safe=""))
    segment = draw(st.one_of(uuids, plain, odd, text, st.just("x" * 5000)))
    return f"/v1/pushes/{segment}"

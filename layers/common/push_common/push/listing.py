"""`GET /v1/pushes`: push records newest first, one index Query per page, never a Scan.

Every record sits under one partition of the `by_created` index (list_pk = "push"), sorted by
`list_sk` = "<created_at>#<push_id>"; a `caller` filter reads the `by_caller` index instead
(partition = the normalised caller). `since`/`until` become a key condition on `list_sk`,
`status`/`kind` a FilterExpression. DynamoDB applies `Limit` before the filter, so with filters
a page may be short, or empty, while `next_cursor` is not null.

`since` is inclusive and `until` exclusive (records carry milliseconds; finer instants are
rounded up to the next millisecond, which keeps both comparisons exact).

The cursor is base64url of `{"k": <the last key read>, "f": <hash of the filters>}`: it is opaque
to callers, and using it with other filters than the ones it was made for is a 422, as is any
cursor this module could not have made (it is checked before it reaches DynamoDB).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any, NoReturn

from botocore.exceptions import BotoCoreError, ClientError

from push_common import caches, clients
from push_common.aws_errors import as_dependency_error
from push_common.errors import FieldProblem, ValidationFailed
from push_common.identity import normalise_principal
from push_common.push.record_views import record_view
from push_common.push.records import LIST_PARTITION, Item
from push_common.settings import get_settings

BY_CREATED = "by_created"
BY_CALLER = "by_caller"
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Every status of the contract's life cycle, including those later features write.
STATUSES = frozenset(
    {
        "pending_approval",
        "rejected",
        "expired",
        "scheduled",
        "cancelled",
        "sending",
        "submitted",
        "failed",
        "outcome_unknown",
        "recalled",
    }
)
KINDS = frozenset({"broadcast", "test"})
PARAMETERS = ("since", "until", "status", "kind", "caller", "limit", "cursor")
MAX_CALLER_BYTES = 1024  # well inside DynamoDB's 2048-byte partition key
MAX_CURSOR_CHARS = 4096
_LIMIT = re.compile(r"[0-9]{1,3}")
_RFC3339 = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<off_h>[0-9]{2}):(?P<off_m>[0-9]{2}))",
    re.ASCII,
)
_CURSOR = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
# A record's sort key: `created_at` (UTC, milliseconds) `#` push_id.
_SORT_KEY = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z#(?P<push_id>[A-Za-z0-9-]{1,64})",
    re.ASCII,
)
# A role ARN with a path (`role/team/orders`): records name the role without it, as STS does.
_ROLE_WITH_PATH = re.compile(r"(arn:[a-z-]+:iam::[0-9]{12}:role/)(?:[^/]+/)+([^/]+)", re.ASCII)


@dataclass(frozen=True)
class ListQuery:
    """A validated `GET /v1/pushes` query; `since`/`until` are `list_sk` bounds."""

    since: str | None = None
    until: str | None = None
    status: str | None = None
    kind: str | None = None
    caller: str | None = None
    limit: int = DEFAULT_LIMIT
    start_key: dict[str, str] | None = None  # from the cursor

    @property
    def index(self) -> str:
        return BY_CALLER if self.caller is not None else BY_CREATED

    @property
    def partition(self) -> tuple[str, str]:
        """(attribute, value) of the index partition this query reads."""
        if self.caller is not None:
            return "caller", self.caller
        return "list_pk", LIST_PARTITION

    def filters_hash(self) -> str:
        """What a cursor is bound to: every parameter that decides which records are listed."""
        filters = [self.index, self.since, self.until, self.status, self.kind, self.caller]
        return hashlib.sha256(json.dumps(filters).encode()).hexdigest()[:16]


def parse_list_query(params: Mapping[str, str]) -> ListQuery:
    """The query string as a ListQuery, or one 422 naming every bad parameter (`query.limit`)."""
    problems = [
        FieldProblem(
            _field(name), "unknown query parameter; expected one of " + ", ".join(PARAMETERS)
        )
        for name in params
        if name not in PARAMETERS
    ]
    values: dict[str, Any] = {}
    for name, parse in _PARSERS.items():
        raw = params.get(name)
        if raw is None:
            continue
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            problems.append(FieldProblem(_field(name), str(exc)))
    since, until = values.get("since"), values.get("until")
    if since is not None and until is not None and since > until:
        problems.append(FieldProblem("query.since", "must not be later than until"))
    if problems:
        raise _invalid(problems)
    query = ListQuery(**values)
    cursor = params.get("cursor")
    if cursor is not None:
        query = ListQuery(**values, start_key=decode_cursor(cursor, query))
    return query


# --- parameters ---------------------------------------------------------------------------------


def _field(name: str) -> str:
    plain = re.fullmatch(r"[A-Za-z0-9_-]+", name)
    return f"query.{name}" if plain else f"query[{json.dumps(name)}]"


def _text(raw: str) -> str:
    if not raw:
        raise ValueError("must not be empty")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8") from None
    return raw


def _limit(raw: str) -> int:
    if not _LIMIT.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValueError(f"an integer from 1 to {MAX_LIMIT}")
    return int(raw)


def _one_of(allowed: frozenset[str]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in allowed:
            raise ValueError("one of " + ", ".join(sorted(allowed)))
        return raw

    return parse


def list_bound(raw: str) -> str:
    """An RFC 3339 instant with an offset as the `list_sk` prefix it compares with.

    The instant is rounded up to the millisecond, so `created_at >= instant` (and `<`) is
    exactly `list_sk >= bound` (and `<`), whatever push_id follows the `#`.
    """
    match = _RFC3339.fullmatch(_text(raw))
    if match is None:
        raise ValueError("an RFC 3339 date-time with an offset, e.g. 2026-11-29T10:00:00Z")
    fraction = (match["fraction"] or "").ljust(9, "0")
    try:
        offset = timedelta(hours=int(match["off_h"] or 0), minutes=int(match["off_m"] or 0))
        zone = UTC if match["utc"] else timezone(-offset if match["sign"] == "-" else offset)
        local = datetime(
            int(match["year"]), int(match["month"]), int(match["day"]),
            int(match["hour"]), int(match["minute"]), int(match["second"]), tzinfo=zone,
        )  # fmt: skip
        at = local.astimezone(UTC)
        nanos = int(fraction)
        at += timedelta(milliseconds=-(-nanos // 1_000_000))  # round up to the millisecond
    except (ValueError, OverflowError):
        raise ValueError("not a valid date-time in years 0001-9999") from None
    return (
        f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}:"
        f"{at.second:02d}.{at.microsecond // 1000:03d}Z"
    )


def normalise_caller(raw: str) -> str:
    """The caller as records name it (a role session or a role with a path: the role)."""
    text = _text(raw)
    if len(text.encode("utf-8")) > MAX_CALLER_BYTES or not text.isprintable():
        raise ValueError(f"at most {MAX_CALLER_BYTES} bytes of printable characters")
    name = normalise_principal(text)
    if (role := _ROLE_WITH_PATH.fullmatch(name)) is not None:
        return role[1] + role[2]
    return name


_PARSERS: dict[str, Callable[[str], Any]] = {
    "since": list_bound,
    "until": list_bound,
    "status": _one_of(STATUSES),
    "kind": _one_of(KINDS),
    "caller": normalise_caller,
    "limit": _limit,
}


# --- cursor -------------------------------------------------------------------------------------


def key_attributes(query: ListQuery) -> tuple[str, ...]:
    """The attributes of a key of `query`'s index (table key + index key)."""
    return ("push_id", query.partition[0], "list_sk")


def encode_cursor(key: Mapping[str, str], query: ListQuery) -> str:
    """The opaque `next_cursor` for a page that ended at `key` (plain strings)."""
    payload = {"k": {name: key[name] for name in key_attributes(query)}, "f": query.filters_hash()}
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode().rstrip("=")


def decode_cursor(raw: str, query: ListQuery) -> dict[str, str]:
    """The start key a cursor carries, or a 422 naming `query.cursor`.

    Refused: anything not made by `encode_cursor`, a cursor made for other filters, and a key
    that is not a key of this query (outside its partition or its since/until range).
    """
    payload = _cursor_payload(raw)
    if payload.get("f") != query.filters_hash():
        _bad_cursor("this cursor was made for other filters; repeat the query it came from")
    key = payload.get("k")
    names = key_attributes(query)
    if not isinstance(key, dict) or sorted(key) != sorted(names):
        _bad_cursor("not a cursor of this listing")
    if not all(isinstance(value, str) for value in key.values()):
        _bad_cursor("not a cursor of this listing")
    partition, value = query.partition
    sort_key = key["list_sk"]
    shape = _SORT_KEY.fullmatch(sort_key)
    if (
        key[partition] != value
        or shape is None
        or shape["push_id"] != key["push_id"]
        or (query.since is not None and sort_key < query.since)
        or (query.until is not None and sort_key >= query.until)
    ):
        _bad_cursor("not a cursor of this listing")
    return {name: str(key[name]) for name in names}


def _cursor_payload(raw: str) -> dict[str, Any]:
    if len(raw) > MAX_CURSOR_CHARS or not _CURSOR.fullmatch(raw):
        _bad_cursor("not a cursor of this listing")
    try:
        payload = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError):
        _bad_cursor("not a cursor of this listing")
    if not isinstance(payload, dict) or set(payload) != {"k", "f"}:
        _bad_cursor("not a cursor of this listing")
    return payload


def _bad_cursor(message: str) -> NoReturn:
    raise _invalid([FieldProblem("query.cursor", message)])


def _invalid(problems: list[FieldProblem]) -> ValidationFailed:
    return ValidationFailed(f"{len(problems)} query parameter(s) are invalid", errors=problems)


# --- the Query ----------------------------------------------------------------------------------


class PushListing:
    """Pages of push records from the table's indexes."""

    def __init__(self, ddb: Any, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def page(self, query: ListQuery) -> dict[str, Any]:
        """`{"pushes": [...record views...], "next_cursor": str | None}`, newest first."""
        # One item more than asked: when it comes back, the page is full and the cursor can
        # point at its last item, so an unfiltered listing never ends on an empty page.
        request = self._request(query)
        try:
            out = self._ddb.query(**request)
        except (ClientError, BotoCoreError) as exc:
            raise as_dependency_error(exc, service="DynamoDB (push records)") from exc
        items: list[Item] = list(out.get("Items") or [])
        last: Mapping[str, Any] | None = out.get("LastEvaluatedKey")
        if len(items) > query.limit:
            items = items[: query.limit]
            last = items[-1]
        next_cursor = None
        if last:
            plain = {name: str(last[name]["S"]) for name in key_attributes(query)}
            next_cursor = encode_cursor(plain, query)
        return {"pushes": [record_view(item) for item in items], "next_cursor": next_cursor}

    def _request(self, query: ListQuery) -> dict[str, Any]:
        partition, value = query.partition
        names = {"#pk": partition}
        values: dict[str, Any] = {":pk": {"S": value}}
        condition = "#pk = :pk"
        if query.since is not None or query.until is not None:
            names["#sk"] = "list_sk"
            if query.since is not None and query.until is not None:
                condition += " AND #sk BETWEEN :since AND :until"  # no list_sk equals `until`
            elif query.since is not None:
                condition += " AND #sk >= :since"
            else:
                condition += " AND #sk < :until"
            values.update(
                {
                    f":{k}": {"S": v}
                    for k, v in (("since", query.since), ("until", query.until))
                    if v
                }
            )
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": query.index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": query.limit + 1,
        }
        filters = [(name, getattr(query, name)) for name in ("status", "kind")]
        filters = [(name, v) for name, v in filters if v is not None]
        if filters:
            request["FilterExpression"] = " AND ".join(f"#{n} = :{n}" for n, _ in filters)
            names.update({f"#{n}": n for n, _ in filters})
            values.update({f":{n}": {"S": v} for n, v in filters})
        if query.start_key is not None:
            request["ExclusiveStartKey"] = {k: {"S": v} for k, v in query.start_key.items()}
        return request | {"ExpressionAttributeNames": names, "ExpressionAttributeValues": values}


@caches.register
@cache
def default_listing() -> PushListing:
    return PushListing(clients.dynamodb(), get_settings().require("pushes_table"))


def list_pushes(params: Mapping[str, str], listing: PushListing) -> dict[str, Any]:
    """One page of `GET /v1/pushes` for these query parameters."""
    return listing.page(parse_list_query(params))

"""`GET /v1/pushes` logic: parameters, cursors, and pages read from the indexes (moto)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devstack.aws import create_table
from devstack.template import load_template, tables
from push_common.errors import ValidationFailed
from push_common.push.listing import (
    BY_CALLER,
    BY_CREATED,
    ListQuery,
    PushListing,
    decode_cursor,
    encode_cursor,
    list_bound,
    list_pushes,
    normalise_caller,
    parse_list_query,
)
from push_common.push.records import (
    FAILED,
    OUTCOME_UNKNOWN,
    SUBMITTED,
    NewPush,
    PushAnswer,
    PushRecords,
    iso_ms,
)

TABLE = "push-records"
REGION = "ap-southeast-1"
ORDERS = "arn:aws:iam::123456789012:role/orders"
BILLING = "arn:aws:iam::123456789012:role/billing"
T0 = 1_795_658_400_000  # 2026-11-26T02:00:00.000Z


def fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {problem.field for problem in exc.value.errors}


def refused(params: dict[str, str]) -> set[str]:
    with pytest.raises(ValidationFailed) as exc:
        parse_list_query(params)
    assert exc.value.status == 422
    return fields(exc)


# --- parameters ---------------------------------------------------------------------------------


def test_no_parameters_lists_everything_twenty_at_a_time() -> None:
    query = parse_list_query({})
    assert query == ListQuery()
    assert (query.limit, query.index, query.partition) == (20, BY_CREATED, ("list_pk", "push"))


@pytest.mark.parametrize("limit", ["1", "20", "100", "007"])
def test_limit_from_1_to_100(limit: str) -> None:
    assert parse_list_query({"limit": limit}).limit == int(limit)


@pytest.mark.parametrize("limit", ["0", "101", "-1", "1.5", "", " 5", "1e2", "abc", "1000", "٣"])
def test_other_limits_are_refused_by_name(limit: str) -> None:
    assert refused({"limit": limit}) == {"query.limit"}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("status", "done"),
        ("status", ""),
        ("status", "SUBMITTED"),
        ("kind", "everyone"),
        ("since", "2026-11-29"),
        ("since", "2026-11-29T10:00:00"),  # no offset
        ("since", "2026-11-29T25:00:00Z"),
        ("since", "2026-02-30T10:00:00Z"),
        ("until", "2026-11-29T10:00:60Z"),  # leap seconds are not instants we can compare
        ("until", "0001-01-01T00:00:00+01:00"),  # before year 1 in UTC
        ("until", "9999-12-31T23:59:59.9999Z"),  # rounds up past year 9999
        ("until", "2026-11-29T10:00:00+24:00"),
        ("caller", ""),
        ("caller", "x" * 1025),
        ("caller", "\udcff"),
        ("caller", "arn:aws:iam::123456789012:user/a\nb"),
        ("cursor", ""),
    ],
)
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    assert refused({name: value}) == {f"query.{name}"}


def test_unknown_parameters_are_refused_with_every_other_problem() -> None:
    assert refused({"stauts": "failed", "limit": "0", "a b": "1"}) == {
        "query.stauts",
        "query.limit",
        'query["a b"]',
    }


def test_since_after_until_is_refused() -> None:
    params = {"since": "2026-11-29T10:00:00Z", "until": "2026-11-29T09:00:00Z"}
    assert refused(params) == {"query.since"}


@pytest.mark.parametrize(
    ("raw", "bound"),
    [
        ("2026-11-29T10:00:00Z", "2026-11-29T10:00:00.000Z"),
        ("2026-11-29t10:00:00z", "2026-11-29T10:00:00.000Z"),
        ("2026-11-29 10:00:00Z", "2026-11-29T10:00:00.000Z"),
        ("2026-11-29T18:00:00+08:00", "2026-11-29T10:00:00.000Z"),
        ("2026-11-29T05:30:00-04:30", "2026-11-29T10:00:00.000Z"),
        ("2026-11-29T10:00:00.5Z", "2026-11-29T10:00:00.500Z"),
        ("2026-11-29T10:00:00.123Z", "2026-11-29T10:00:00.123Z"),
        ("2026-11-29T10:00:00.1231Z", "2026-11-29T10:00:00.124Z"),  # rounded up
        ("2026-11-29T10:00:00.999000001Z", "2026-11-29T10:00:01.000Z"),
        ("2026-12-31T23:59:59.9995Z", "2027-01-01T00:00:00.000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
    ],
)
def test_instants_become_utc_millisecond_bounds(raw: str, bound: str) -> None:
    assert list_bound(raw) == bound


def test_bounds_sort_like_the_records_sort_keys() -> None:
    ms = T0 + 123
    assert list_bound(iso_ms(ms)) == iso_ms(ms)
    sort_key = f"{iso_ms(ms)}#3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11"
    assert list_bound(iso_ms(ms)) <= sort_key < list_bound(iso_ms(ms + 1))


@pytest.mark.parametrize(
    ("raw", "caller"),
    [
        ("arn:aws:sts::123456789012:assumed-role/orders/i-0abc", ORDERS),
        ("arn:aws:iam::123456789012:role/team/ops/orders", ORDERS),
        (ORDERS, ORDERS),
        ("arn:aws-cn:sts::123456789012:assumed-role/orders/s", ORDERS.replace("aws", "aws-cn")),
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        ("eventbridge:orders-service", "eventbridge:orders-service"),
        ("eventbridge:210987654321/orders", "eventbridge:210987654321/orders"),
    ],
)
def test_caller_is_normalised_like_the_records(raw: str, caller: str) -> None:
    assert normalise_caller(raw) == caller
    query = parse_list_query({"caller": raw})
    assert (query.index, query.partition) == (BY_CALLER, ("caller", caller))


# --- cursors ------------------------------------------------------------------------------------

KEY = {
    "push_id": "3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11",
    "list_pk": "push",
    "list_sk": "2026-11-29T10:00:00.123Z#3f1c1d2e-8a4b-4c39-9d59-8c2b8c9f0a11",
}


def test_cursor_round_trips_and_is_url_safe() -> None:
    query = parse_list_query({"status": "failed"})
    cursor = encode_cursor(KEY, query)
    assert cursor.replace("-", "").replace("_", "").isalnum()
    assert decode_cursor(cursor, query) == KEY
    assert parse_list_query({"status": "failed", "cursor": cursor}).start_key == KEY


@pytest.mark.parametrize("caller", ["😀" * 256, "中" * 341, '"\\' * 512, "eventbridge:x"])
def test_cursor_of_the_longest_callers_is_accepted(caller: str) -> None:
    query = parse_list_query({"caller": caller})
    key = {**{k: v for k, v in KEY.items() if k != "list_pk"}, "caller": caller}
    cursor = encode_cursor(key, query)
    assert parse_list_query({"caller": caller, "cursor": cursor}).start_key == key


def test_cursor_ignores_a_changed_limit() -> None:
    cursor = encode_cursor(KEY, parse_list_query({"limit": "2"}))
    assert parse_list_query({"limit": "50", "cursor": cursor}).start_key == KEY


@pytest.mark.parametrize(
    "other",
    [
        {},
        {"status": "submitted"},
        {"status": "failed", "kind": "broadcast"},
        {"status": "failed", "since": "2026-11-01T00:00:00Z"},
        {"status": "failed", "until": "2026-12-01T00:00:00Z"},
    ],
)
def test_cursor_is_bound_to_its_filters(other: dict[str, str]) -> None:
    cursor = encode_cursor(KEY, parse_list_query({"status": "failed"}))
    assert refused({**other, "cursor": cursor}) == {"query.cursor"}


def test_cursor_of_one_caller_is_refused_for_another() -> None:
    key = {**{k: v for k, v in KEY.items() if k != "list_pk"}, "caller": ORDERS}
    cursor = encode_cursor(key, parse_list_query({"caller": ORDERS}))
    assert parse_list_query({"caller": ORDERS, "cursor": cursor}).start_key == key
    assert refused({"caller": BILLING, "cursor": cursor}) == {"query.cursor"}
    assert refused({"cursor": cursor}) == {"query.cursor"}


def _forged(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _filters_hash() -> str:
    return ListQuery().filters_hash()


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "a",
        "ab+c",
        "x" * 5000,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _forged([1, 2]),
        _forged({"k": KEY}),
        _forged({"k": KEY, "f": "0"}),
        _forged({"k": [], "f": _filters_hash()}),
        _forged({"k": {**KEY, "extra": "x"}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "list_pk": "other"}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "push_id": 1}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "push_id": "a/b"}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "list_sk": "2026-11-29T10:00:00.123Z#other"}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "list_sk": "x" * 2000 + "#" + KEY["push_id"]}, "f": _filters_hash()}),
        _forged({"k": {**KEY, "list_sk": "2026-11-29#" + KEY["push_id"]}, "f": _filters_hash()}),
    ],
)
def test_cursors_this_module_did_not_make_are_refused(cursor: str) -> None:
    assert refused({"cursor": cursor}) == {"query.cursor"}


def test_cursor_outside_the_time_range_is_refused() -> None:
    window = {"since": "2026-11-29T11:00:00Z", "until": "2026-11-29T12:00:00Z"}
    query = parse_list_query(window)
    cursor = encode_cursor(KEY, query)  # KEY was created at 10:00, before `since`
    assert refused({**window, "cursor": cursor}) == {"query.cursor"}
    later = {**KEY, "list_sk": KEY["list_sk"].replace("T10:", "T12:")}  # at `until`: excluded
    assert refused({**window, "cursor": encode_cursor(later, query)}) == {"query.cursor"}


# --- pages from the indexes (moto) --------------------------------------------------------------


class QueryOnly:
    """The DynamoDB client, but only `query` (and every call is kept): a Scan would fail."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[dict[str, Any]] = []

    def query(self, **request: Any) -> Any:
        self.calls.append(request)
        return self._client.query(**request)


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        create_table(client, TABLE, tables(load_template())["PushesTable"])
        yield client


@pytest.fixture
def listing(ddb: Any) -> PushListing:
    return PushListing(QueryOnly(ddb), TABLE)


def record(
    ddb: Any,
    n: int,
    *,
    caller: str = ORDERS,
    status: str = SUBMITTED,
    kind: str = "broadcast",
    at_ms: int | None = None,
) -> str:
    """Push number `n`, created `n` seconds after T0 (or at `at_ms`), finished with `status`."""
    records = PushRecords(ddb, TABLE, retention_days=90, now_ms=lambda: at_ms or T0 + n * 1000)
    push_id = f"00000000-0000-4000-8000-{n:012d}"
    push = NewPush(
        push_id=push_id,
        request={"audience": {"all": True}, "message": {"text": f"push {n}"}},
        request_hash=str(n),
        caller=caller,
        caller_session=f"{caller}/session",
        kind=kind,
    )
    claim = records.claim(push, lease_until_ms=T0 + 10**9)
    assert not isinstance(claim, PushAnswer)
    if status != "sending":
        body = {"push_id": push_id} if status == SUBMITTED else {"code": "x"}
        code = 202 if status == SUBMITTED else 502
        answer = PushAnswer(push_id=push_id, status=code, body=body, record_status=status)
        error = None if status == SUBMITTED else {"code": "upstream_rejected", "detail": "no"}
        records.finish(claim, answer, task_id="t" if status == SUBMITTED else None, error=error)
    return push_id


def ids(page: dict[str, Any]) -> list[str]:
    return [push["push_id"][-2:] for push in page["pushes"]]


def walk(listing: PushListing, params: dict[str, str]) -> list[list[str]]:
    """Every page, following next_cursor to the end."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        page = list_pushes({**params, **({"cursor": cursor} if cursor else {})}, listing)
        pages.append(ids(page))
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_pages_are_newest_first_and_a_full_last_page_ends_the_listing(
    ddb: Any, listing: PushListing
) -> None:
    for n in range(1, 7):
        record(ddb, n)
    assert walk(listing, {"limit": "2"}) == [["06", "05"], ["04", "03"], ["02", "01"]]
    assert walk(listing, {"limit": "4"}) == [["06", "05", "04", "03"], ["02", "01"]]
    assert walk(listing, {}) == [["06", "05", "04", "03", "02", "01"]]


def test_every_page_is_one_index_query_never_a_scan(ddb: Any) -> None:
    record(ddb, 1)
    client = QueryOnly(ddb)
    listing = PushListing(client, TABLE)
    list_pushes({"status": "failed", "kind": "test"}, listing)
    list_pushes({"caller": ORDERS, "since": "2026-11-26T00:00:00Z"}, listing)
    assert [call["IndexName"] for call in client.calls] == [BY_CREATED, BY_CALLER]
    assert all(call["ScanIndexForward"] is False for call in client.calls)
    assert client.calls[0]["FilterExpression"] == "#status = :status AND #kind = :kind"


def test_same_millisecond_pushes_are_ordered_by_push_id(ddb: Any, listing: PushListing) -> None:
    for n in (3, 1, 2):
        record(ddb, n, at_ms=T0)
    assert walk(listing, {"limit": "1"}) == [["03"], ["02"], ["01"]]


def test_since_is_inclusive_and_until_exclusive(ddb: Any, listing: PushListing) -> None:
    for n in range(1, 6):
        record(ddb, n)
    window = {"since": iso_ms(T0 + 2000), "until": iso_ms(T0 + 4000)}
    assert walk(listing, window) == [["03", "02"]]
    assert walk(listing, {"since": iso_ms(T0 + 2001)}) == [["05", "04", "03"]]
    assert walk(listing, {"until": iso_ms(T0 + 2001)}) == [["02", "01"]]
    same = iso_ms(T0 + 3000)
    assert walk(listing, {"since": same, "until": same}) == [[]]
    assert walk(listing, {**window, "limit": "1"}) == [["03"], ["02"]]


def test_filters_may_give_short_or_empty_pages_until_the_cursor_is_null(
    ddb: Any, listing: PushListing
) -> None:
    statuses = [SUBMITTED, SUBMITTED, FAILED, SUBMITTED, SUBMITTED, OUTCOME_UNKNOWN]
    for n, status in enumerate(statuses, start=1):
        record(ddb, n, status=status)
    pages = walk(listing, {"status": SUBMITTED, "limit": "2"})
    assert [push for page in pages for push in page] == ["05", "04", "02", "01"]
    failed = walk(listing, {"status": FAILED, "limit": "2"})
    assert [push for page in failed for push in page] == ["03"]
    assert [] in failed  # a page without a match, yet not the last
    assert walk(listing, {"status": "sending"}) == [[]]


def test_caller_and_kind_filters(ddb: Any, listing: PushListing) -> None:
    record(ddb, 1, caller=ORDERS)
    record(ddb, 2, caller=BILLING)
    record(ddb, 3, caller=ORDERS, kind="test")
    session = "arn:aws:sts::123456789012:assumed-role/orders/i-0abc"
    assert walk(listing, {"caller": session, "limit": "1"}) == [["03"], ["01"]]
    assert walk(listing, {"caller": BILLING}) == [["02"]]
    assert walk(listing, {"caller": "eventbridge:nobody"}) == [[]]
    assert walk(listing, {"kind": "test"}) == [["03"]]
    assert walk(listing, {"kind": "broadcast", "caller": ORDERS}) == [["01"]]


def test_listed_records_are_the_record_views(ddb: Any, listing: PushListing) -> None:
    record(ddb, 1, status=FAILED)
    record(ddb, 2, status="sending")
    page = list_pushes({}, listing)
    sending, failed = page["pushes"]
    assert (sending["status"], sending["sent_at"], sending["error"]) == ("sending", None, None)
    assert failed["error"] == {"code": "upstream_rejected", "detail": "no"}
    assert failed["request"] == {"audience": {"all": True}, "message": {"text": "push 1"}}
    assert failed["created_at"] == iso_ms(T0 + 1000)
    assert "answer" not in failed and "lease_until_ms" not in sending

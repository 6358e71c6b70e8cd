"""Push records over real HTTP (docs/architecture.md §3.5): push, get the record, then list.

A stack of its own: listings see only this module's pushes, and the sandbox faults it queues
cannot meet another module's push. Every answer is also checked against the OpenAPI document.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from tests.support.openapi_spec import response_problems
from tests.support.stack_client import Reply, StackProcess, request

pytestmark = pytest.mark.integration

PUSH = {"audience": {"tags": {"any": ["vip"]}}, "message": {"text": "Your order shipped"}}
ENV = {"PUSH_MIN_INTERVAL_MS": "0", "PUSH_DAILY_LIMIT": "1000"}
RECORD, LIST = "/v1/pushes/{push_id}", "/v1/pushes"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log = tmp_path_factory.mktemp("records-stack") / "stack.log"
    stack = StackProcess(log, dict(ENV)).start()
    yield stack
    stack.stop()


def new_role() -> tuple[str, str]:
    """(a role session ARN, the role it normalises to), unique to the calling test."""
    role = f"records-{uuid.uuid4().hex[:12]}"
    session = f"arn:aws:sts::123456789012:assumed-role/{role}/task-1"
    return session, f"arn:aws:iam::123456789012:role/{role}"


def push(stack: StackProcess, caller: str, key: str | None = None, body: Any = PUSH) -> Reply:
    headers = {"X-Local-Caller-Arn": caller, **({"Idempotency-Key": key} if key else {})}
    return request("POST", f"{stack.url}/v1/pushes", body, headers)


def documented(route: str, reply: Reply) -> Reply:
    problems = response_problems("GET", route, reply.status, reply.headers, reply.body)
    assert problems == [], problems
    return reply


def get_record(stack: StackProcess, push_id: str) -> Reply:
    return documented(RECORD, request("GET", f"{stack.url}/v1/pushes/{push_id}"))


def list_page(stack: StackProcess, **params: str) -> Reply:
    query = urlencode(params)
    return documented(LIST, request("GET", f"{stack.url}/v1/pushes?{query}"))


def list_all(stack: StackProcess, **params: str) -> list[list[dict[str, Any]]]:
    """Every page, following next_cursor until it is null."""
    pages: list[list[dict[str, Any]]] = []
    cursor: str | None = None
    while True:
        reply = list_page(stack, **params, **({"cursor": cursor} if cursor else {}))
        assert reply.status == 200, reply.body
        pages.append(reply.json()["pushes"])
        cursor = reply.json()["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 50, "the listing never ends"


def fault(stack: StackProcess, **spec: Any) -> None:
    assert stack.sandbox_url is not None
    reply = request("POST", f"{stack.sandbox_url}/_sandbox/faults", {"command": "im_push", **spec})
    assert reply.status < 300, reply.body


def field_names(reply: Reply) -> set[str]:
    assert (reply.status, reply.json()["code"]) == (422, "validation_failed"), reply.body
    return {problem["field"] for problem in reply.json()["errors"]}


def test_push_then_get_its_record(stack: StackProcess) -> None:
    session, role = new_role()
    pushed = push(stack, session, key="sale-1")
    assert pushed.status == 202, pushed.body

    reply = get_record(stack, pushed.json()["push_id"])

    assert reply.status == 200
    record = reply.json()
    assert record == {
        **record,
        "push_id": pushed.json()["push_id"],
        "status": "submitted",
        "caller": role,
        "caller_session": session,
        "channel": "http",
        "event_source": None,
        "idempotency_key": "sale-1",
        "kind": "broadcast",
        "upstream_api": "all_member_push",
        "request": PUSH,
        "send_at": None,
        "task_id": pushed.json()["task_id"],
        "error": None,
        "recalled_at": None,
        "approved_by": None,
        "approved_at": None,
        "rejected_by": None,
        "rejected_at": None,
        "expires_at": None,
    }
    assert record["created_at"] <= record["sent_at"]


def test_push_then_list_it(stack: StackProcess) -> None:
    session, role = new_role()
    push_id = push(stack, session).json()["push_id"]

    newest = list_page(stack, limit="5").json()["pushes"]
    mine = list_page(stack, caller=role).json()

    assert push_id in [p["push_id"] for p in newest]
    assert [p["push_id"] for p in mine["pushes"]] == [push_id]
    assert mine["next_cursor"] is None
    assert mine["pushes"][0] == get_record(stack, push_id).json()


def test_pages_of_two_list_every_push_once_newest_first(stack: StackProcess) -> None:
    session, role = new_role()
    pushed = [push(stack, session).json()["push_id"] for _ in range(5)]

    pages = list_all(stack, caller=role, limit="2")

    assert [len(page) for page in pages] == [2, 2, 1]
    listed = [p["push_id"] for page in pages for p in page]
    assert listed == pushed[::-1]
    order = [(p["created_at"], p["push_id"]) for page in pages for p in page]
    assert order == sorted(order, reverse=True)


def test_unfiltered_listing_pages_through_everything(stack: StackProcess) -> None:
    session, _ = new_role()
    pushed = {push(stack, session).json()["push_id"] for _ in range(3)}
    everything = [p["push_id"] for page in list_all(stack, limit="2") for p in page]
    assert pushed <= set(everything)
    assert len(everything) == len(set(everything))


def test_failed_upstream_push_has_a_failed_record(stack: StackProcess) -> None:
    session, role = new_role()
    fault(stack, kind="error_code", error_code=90045)
    refused = push(stack, session, key="needs-push-feature")
    assert refused.status >= 400, refused.body
    push_id = refused.json()["push_id"]

    record = get_record(stack, push_id).json()

    assert (record["status"], record["task_id"], record["sent_at"]) == ("failed", None, None)
    assert record["error"]["upstream_code"] == 90045
    assert record["error"]["code"] == refused.json()["code"]
    failed = list_page(stack, caller=role, status="failed").json()["pushes"]
    assert [p["push_id"] for p in failed] == [push_id]


def test_outcome_unknown_push_has_its_record_and_is_listed(stack: StackProcess) -> None:
    session, role = new_role()
    fault(stack, kind="accept_then_close")
    unknown = push(stack, session, key="maybe-sent")
    assert (unknown.status, unknown.json()["code"]) == (502, "outcome_unknown"), unknown.body

    record = get_record(stack, unknown.json()["push_id"]).json()

    assert record["status"] == "outcome_unknown"
    assert record["error"]["code"] == "outcome_unknown"
    listed = list_page(stack, status="outcome_unknown", caller=role).json()["pushes"]
    assert [p["push_id"] for p in listed] == [record["push_id"]]
    assert '"PushOutcomeUnknown"' in stack.log_text()  # the metric the alarm watches


def test_filters_status_kind_and_caller(stack: StackProcess) -> None:
    session, role = new_role()
    ok = push(stack, session).json()["push_id"]
    fault(stack, kind="error_code", error_code=90045)
    failed = push(stack, session).json()["push_id"]
    other_session, _ = new_role()
    push(stack, other_session)

    def ids(**params: str) -> list[str]:
        return [p["push_id"] for page in list_all(stack, **params) for p in page]

    assert ids(caller=role) == [failed, ok]
    assert ids(caller=session) == [failed, ok]  # a session stands for its role
    assert ids(caller=role.replace("role/", "role/some/path/")) == [failed, ok]
    assert ids(caller=role, status="submitted") == [ok]
    assert ids(caller=role, status="failed", limit="1") == [failed]
    assert ids(caller=role, kind="broadcast") == [failed, ok]
    assert ids(caller=role, kind="test") == []
    assert ids(caller=role, status="recalled") == []


def test_since_and_until_bound_the_listing(stack: StackProcess) -> None:
    session, role = new_role()
    first = get_record(stack, push(stack, session).json()["push_id"]).json()
    second = get_record(stack, push(stack, session).json()["push_id"]).json()

    def ids(**params: str) -> list[str]:
        return [p["push_id"] for page in list_all(stack, caller=role, **params) for p in page]

    assert ids(since=second["created_at"]) == [second["push_id"]]
    assert ids(until=second["created_at"]) == [first["push_id"]]
    assert ids(since=first["created_at"], until=second["created_at"]) == [first["push_id"]]
    at = datetime.fromisoformat(first["created_at"]).astimezone(timezone(timedelta(hours=8)))
    in_shanghai = at.isoformat(timespec="milliseconds")  # the same instant, another offset
    assert in_shanghai.endswith("+08:00")
    assert ids(since=in_shanghai) == [second["push_id"], first["push_id"]]


def test_event_push_record_names_its_source(stack: StackProcess) -> None:
    source = f"orders-{uuid.uuid4().hex[:8]}"
    entry = {"Source": source, "DetailType": "Push Requested", "Detail": json.dumps(PUSH)}
    put = request("POST", f"{stack.url}/_local/events", {"Entries": [entry]})
    assert put.status == 200, put.body

    (record,) = list_page(stack, caller=f"eventbridge:{source}").json()["pushes"]

    assert (record["channel"], record["event_source"]) == ("eventbridge", source)
    assert (record["caller"], record["caller_session"]) == (f"eventbridge:{source}", None)
    assert record["status"] == "submitted"


def test_cursor_is_bound_to_its_filters(stack: StackProcess) -> None:
    session, role = new_role()
    for _ in range(3):
        push(stack, session)
    cursor = list_page(stack, caller=role, limit="1").json()["next_cursor"]
    assert cursor

    assert list_page(stack, caller=role, limit="2", cursor=cursor).status == 200
    assert field_names(list_page(stack, caller=role, status="failed", cursor=cursor)) == {
        "query.cursor"
    }
    assert field_names(list_page(stack, cursor=cursor)) == {"query.cursor"}
    assert field_names(list_page(stack, caller=role, cursor=cursor[:-4])) == {"query.cursor"}


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("limit=0", {"query.limit"}),
        ("limit=101", {"query.limit"}),
        ("limit=ten", {"query.limit"}),
        ("limit=1&limit=2", {"query.limit"}),
        ("since=yesterday", {"query.since"}),
        ("since=2026-11-29T10:00:00", {"query.since"}),
        ("until=2026-11-29", {"query.until"}),
        ("since=2026-11-29T10:00:00Z&until=2026-11-29T09:00:00Z", {"query.since"}),
        ("status=done", {"query.status"}),
        ("kind=everyone", {"query.kind"}),
        ("caller=", {"query.caller"}),
        ("cursor=%21%21", {"query.cursor"}),
        ("stauts=failed", {"query.stauts"}),
        ("limit=0&status=done&sort=asc", {"query.limit", "query.status", "query.sort"}),
    ],
)
def test_bad_parameters_are_422_naming_them(
    stack: StackProcess, query: str, fields: set[str]
) -> None:
    reply = documented(LIST, request("GET", f"{stack.url}/v1/pushes?{query}"))
    assert field_names(reply) == fields


@pytest.mark.parametrize(
    ("segment", "statuses"),
    [
        (str(uuid.uuid4()), {404}),
        ("not-a-push", {404}),
        ("x" * 64, {404}),
        ("x" * 65, {422}),
        ("x" * 10_000, {422}),
        ("a%2Fb", {404, 422}),
        ("%2F", {404, 422}),
        ("%00", {422}),
        ("%ff", {422}),
        (quote("中文"), {422}),
        ("a.b", {422}),
        ("", {404}),
    ],
)
def test_odd_ids_are_404_or_422_never_5xx(
    stack: StackProcess, segment: str, statuses: set[int]
) -> None:
    reply = documented(RECORD, request("GET", f"{stack.url}/v1/pushes/{segment}"))
    assert reply.status in statuses, reply.body
    if reply.status == 404 and segment:
        assert reply.json()["code"] == "push_not_found"


def test_concurrent_pushes_are_each_listed_exactly_once(stack: StackProcess) -> None:
    session, role = new_role()

    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda n: push(stack, session, key=f"c-{n}"), range(10)))

    assert [r.status for r in replies] == [202] * 10, [r.body for r in replies]
    pages = list_all(stack, caller=role, limit="3")
    listed = [p["push_id"] for page in pages for p in page]
    assert sorted(listed) == sorted(r.json()["push_id"] for r in replies)
    assert len(pages) == 4

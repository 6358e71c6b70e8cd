"""The bench's bare baseline makes the push path's DynamoDB writes (docs/architecture.md §10).

Its warm and cold ratios are honest only while the bare script asks the table for the same
work as the gateway: the same expressions, placeholders and returned values, per channel. A
change to push/records.py or quota.py that the baseline does not follow fails here, before a
bench run would compare against a lighter baseline."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from bench.calls import bare_writes, handler_calls, unlike
from bench.events import push_http_event, push_requested_event
from bench.stack import BenchStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bench_stack() -> Iterator[BenchStack]:
    with BenchStack() as stack:
        yield stack


@pytest.mark.parametrize(
    ("function", "event"),
    [("push_api", push_http_event), ("push_event", push_requested_event)],
)
def test_bare_baseline_writes_what_the_push_path_writes(
    bench_stack: BenchStack, function: str, event: Any
) -> None:
    _, ours, _ = handler_calls(bench_stack, function, event)
    bare = bare_writes(bench_stack, function)

    assert sum(ours.values()) == 3 * 5  # claim, quota, finish for each of the 5 pushes
    assert {shape[2] for shape in ours} == {shape[2] for shape in bare}  # the expressions
    assert unlike(ours, bare) == 0


def test_a_lighter_baseline_is_caught() -> None:
    claim = ("UpdateItem", "PushesTable", "SET #a = :a REMOVE #b", None, ("#a", "#b"), (":a",))
    lighter = ("UpdateItem", "PushesTable", "SET #a = :a", None, ("#a",), (":a",))
    quota = ("UpdateItem", "QuotaTable", "SET used = used + :one", None, (), (":one",))

    assert unlike(Counter([claim, quota]), Counter([claim, quota])) == 0
    assert unlike(Counter([claim, quota]), Counter([lighter, quota])) == 2
    assert unlike(Counter([claim, quota]), Counter([claim])) == 1

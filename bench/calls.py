"""Calls per push on a warm container, plus what a warm request must not do again."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.bare_push import BarePush
from bench.capture import captured_lines
from bench.counters import WRITES, counting, dynamodb_writes
from bench.events import BenchContext, push_http_event, push_requested_event, succeeded
from bench.report import Figure
from bench.stack import BenchStack, function_environment

PUSHES = 5
# The minimum per push: UpdateItem (claim the record) + UpdateItem (quota) + UpdateItem (finish).
DYNAMODB_WRITES = 3


Shapes = Counter[tuple[Any, ...]]


def handler_calls(
    stack: BenchStack, function: str, event: Callable[[str], dict[str, Any]]
) -> tuple[Counter[str], Shapes, list[str]]:
    with function_environment(stack.env[function]):
        handler = __import__(f"functions.{function}.handler", fromlist=["lambda_handler"])
        for _ in range(3):  # warm: caches filled, clients created
            with captured_lines():
                handler.lambda_handler(event(f"calls-{uuid.uuid4()}"), BenchContext())
        before = len(stack.sandbox.calls())
        with captured_lines() as lines, counting() as counts, dynamodb_writes() as writes:
            for _ in range(PUSHES):
                response = handler.lambda_handler(event(f"calls-{uuid.uuid4()}"), BenchContext())
                if not succeeded(function, response):
                    raise RuntimeError(f"{function} push failed: {response}")
        upstream = [c["command"] for c in stack.sandbox.calls()[before:]]
    counts.update(f"upstream:{c}" for c in upstream)
    return counts, Counter(writes), lines


def bare_writes(stack: BenchStack, function: str) -> Shapes:
    """The bare baseline's DynamoDB writes over PUSHES warm pushes (bench/bare_push.py)."""
    with function_environment(stack.env[function]):
        bare = BarePush(stack.env[function], events=function == "push_event")
        bare.push(f"calls-{uuid.uuid4()}")  # warm, as the handler was
        with dynamodb_writes() as writes:
            for _ in range(PUSHES):
                bare.push(f"calls-{uuid.uuid4()}")
    return Counter(writes)


def unlike(ours: Shapes, bare: Shapes) -> int:
    """How many writes one side makes that the other does not make in the same shape."""
    return sum(((ours - bare) + (bare - ours)).values())


def _log_levels(lines: list[str]) -> Counter[str]:
    levels: Counter[str] = Counter()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            levels["unstructured"] += 1
            continue
        levels["EMF" if "_aws" in record else str(record.get("level", "?"))] += 1
    return levels


def measure(stack: BenchStack) -> tuple[list[Figure], list[str]]:
    """Figures for push_api and push_event, and a per-call breakdown to print."""
    figures: list[Figure] = []
    details: list[str] = []
    for function, event in (("push_api", push_http_event), ("push_event", push_requested_event)):
        counts, writes, lines = handler_calls(stack, function, event)
        levels, n = _log_levels(lines), PUSHES
        figures.extend(_figures(function, counts, levels, n))
        # The baseline is honest only while it makes the push path's writes (bench/bare_push.py).
        figures.append(
            Figure(
                f"calls {function}: baseline writes unlike the push path's/push",
                unlike(writes, bare_writes(stack, function)) / n,
                "",
                0,
            )
        )
        per_push = ", ".join(f"{k} {v / n:g}" for k, v in sorted(counts.items()))
        logs = ", ".join(f"{k} {v / n:g}" for k, v in sorted(levels.items()))
        details.append(f"{function} per push: {per_push}; log lines: {logs}")
    return figures, details


def _figures(function: str, c: Counter[str], levels: Counter[str], n: int) -> list[Figure]:
    writes = sum(v for k, v in c.items() if k.startswith("aws:dynamodb.") and k[13:] in WRITES)
    reads = sum(v for k, v in c.items() if k.startswith("aws:dynamodb.")) - writes
    other_aws = {k: v for k, v in c.items() if k.startswith("aws:") and "dynamodb." not in k}
    f = function
    other_upstream = _sum(c, "upstream:") - c["upstream:im_push"]
    out = [
        Figure(f"calls {f}: upstream POST/push", c["upstream:im_push"] / n, "", 1),
        Figure(f"calls {f}: other upstream/push", other_upstream / n, "", 0),
        Figure(f"calls {f}: Secrets Manager/push", _sum(c, "aws:secretsmanager.") / n, "", 0),
        Figure(f"calls {f}: DynamoDB writes/push", writes / n, "", DYNAMODB_WRITES),
        Figure(f"calls {f}: DynamoDB reads/push", reads / n, "", 0),
        Figure(f"calls {f}: clients created/push", c["boto3 clients created"] / n, "", 0),
        Figure(f"calls {f}: regex compiled/push", c["regex compiled"] / n, "", 0),
        Figure(f"calls {f}: pydantic models built/push", c["pydantic models built"] / n, "", 0),
        Figure(f"calls {f}: INFO log lines/push", levels["INFO"] / n, "", 1),
    ]  # fmt: skip
    if f == "push_event":  # the outcome event is part of the event path (docs/architecture.md §4)
        out.append(Figure(f"calls {f}: PutEvents/push", c["aws:events.PutEvents"] / n, "", 1))
    elif other_aws:
        out.append(Figure(f"calls {f}: other AWS/push", sum(other_aws.values()) / n, "", 0))
    return out


def _sum(counts: Counter[str], prefix: str) -> int:
    return sum(v for k, v in counts.items() if k.startswith(prefix))

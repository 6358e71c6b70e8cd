"""At most once under every sequence of upstream answers (docs/decisions.md §3).

Each case scripts what Tencent does with the successive im_push calls of ONE logical push (lost
answers after a broadcast, HTTP errors, garbage, 91000-class codes, 90024, 90047, 70001, rate
limits...), then drives the real handler, the real client, the sandbox and DynamoDB (moto) the
way a caller would: the first request, then retries / redeliveries with the same key. The
sandbox's clock is moved 2 s between requests, past Tencent's 1 s MsgRandom window, so a second
send would be a second broadcast, not a de-duplicated one.

Asserted for every sequence, on the HTTP and the event path:
- at most one broadcast;
- after the first attempt that may have created a task, no further im_push call;
- the quota slot is kept whenever a task may exist, and given back otherwise;
- an unknown outcome is answered as such (`outcome_unknown`, never retryable) and replayed.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from push_common import caches
from push_common.push.event_api import RetryEvent
from tests.proofs.faults.conftest import provision
from tests.proofs.faults.harness import SALE, Gateway

# What Tencent does with one im_push call. `None`: it accepts the push and answers normally.
FAULTS: dict[str, dict[str, Any] | None] = {
    "ok": None,
    "lost_after_broadcast": {"kind": "accept_then_close"},
    "5xx_after_broadcast": {"kind": "accept_then_http_status", "http_status": 502},
    "garbage_after_broadcast": {"kind": "accept_then_non_json"},
    "truncated_after_broadcast": {"kind": "accept_then_truncated"},
    "91000_after_broadcast": {"kind": "accept_then_error_code", "error_code": 91000},
    "connection_dropped": {"kind": "close"},
    "http_502": {"kind": "http_status", "http_status": 502},
    "garbage": {"kind": "non_json"},
    "internal_91000": {"kind": "error_code", "error_code": 91000},
    "unknown_code": {"kind": "error_code", "error_code": 99999},
    "interval_90024": {"kind": "error_code", "error_code": 90024},
    "quota_90047": {"kind": "error_code", "error_code": 90047},
    "usersig_expired_70001": {"kind": "error_code", "error_code": 70001},
    "throttled_60018": {"kind": "error_code", "error_code": 60018},
    "feature_off_90045": {"kind": "error_code", "error_code": 90045},
}
# Answers after which Tencent may have created the task (everything not in the closed list).
MAYBE_A_TASK = {
    "ok",
    "lost_after_broadcast",
    "5xx_after_broadcast",
    "garbage_after_broadcast",
    "truncated_after_broadcast",
    "91000_after_broadcast",
    "connection_dropped",
    "http_502",
    "garbage",
    "internal_91000",
    "unknown_code",
}
REQUESTS_PER_PUSH = 4  # the first request and three retries / redeliveries

TABLE: list[tuple[str, ...]] = [
    (),
    ("lost_after_broadcast",),
    ("5xx_after_broadcast",),
    ("garbage_after_broadcast",),
    ("truncated_after_broadcast",),
    ("91000_after_broadcast",),
    ("connection_dropped",),
    ("http_502",),
    ("garbage",),
    ("internal_91000",),
    ("unknown_code",),
    ("interval_90024",),
    ("interval_90024", "interval_90024"),
    ("interval_90024", "lost_after_broadcast"),
    ("internal_91000", "interval_90024"),  # the case: 91000, then "too close" (ours)
    ("quota_90047",),
    ("usersig_expired_70001",),
    ("usersig_expired_70001", "usersig_expired_70001"),
    ("usersig_expired_70001", "lost_after_broadcast"),
    ("throttled_60018",),
    ("throttled_60018", "throttled_60018", "lost_after_broadcast"),
    ("throttled_60018", "internal_91000"),
    ("feature_off_90045",),
    ("http_502", "http_502", "http_502"),
]


@dataclass
class Figures:
    sequences: int = 0
    requests: int = 0
    max_broadcasts: int = 0
    by_path: dict[str, int] = field(default_factory=dict)


FIGURES = Figures()


@dataclass
class Run:
    """What one logical push did upstream and in the quota."""

    labels: list[str]  # the answer each im_push call got, in order
    broadcasts: int
    quota: dict[str, Any]


def _prepare(gateway: Gateway, moto_url: str, sequence: Sequence[str]) -> None:
    provision(moto_url)
    gateway.aws.clear()
    gateway.sandbox.reset()
    gateway.sandbox.clear_faults()
    caches.clear_all()
    for label in sequence:
        fault = FAULTS[label]
        if fault is None:  # an accepted call: an injected no-op is not possible, so stop here
            break
        gateway.sandbox.add_fault(command="im_push", **fault)


def _labels(gateway: Gateway, sequence: Sequence[str]) -> list[str]:
    """The answer each im_push call got: the scripted faults in order, then plain answers."""
    calls = gateway.im_push_calls()
    scripted = []
    for label in sequence:
        if FAULTS[label] is None:
            break
        scripted.append(label)
    labels = scripted[: len(calls)]
    for call in calls[len(labels) :]:
        labels.append("ok" if call.get("error_code") == 0 else f"real_{call.get('error_code')}")
    return labels


def _finish(gateway: Gateway, sequence: Sequence[str], path: str) -> Run:
    run = Run(_labels(gateway, sequence), len(gateway.sandbox.pushes()), gateway.quota())
    FIGURES.sequences += 1
    FIGURES.requests += REQUESTS_PER_PUSH
    FIGURES.max_broadcasts = max(FIGURES.max_broadcasts, run.broadcasts)
    FIGURES.by_path[path] = FIGURES.by_path.get(path, 0) + 1
    return run


def _check_run(run: Run) -> None:
    assert run.broadcasts <= 1, run
    first_maybe = next((i for i, lab in enumerate(run.labels) if lab in MAYBE_A_TASK), None)
    if first_maybe is not None:
        # Nothing is ever sent after an attempt that may have created the task.
        assert len(run.labels) == first_maybe + 1, run
        if "quota_90047" not in run.labels:
            assert run.quota["used"] == 1, run  # the slot stays spent
    elif "quota_90047" in run.labels:
        assert run.quota["remaining"] == 0, run  # Tencent says the day is over
    else:
        assert run.quota["used"] == 0, run  # nothing may exist upstream: slot given back


def _same_msg_random(gateway: Gateway) -> None:
    assert len({c["body"]["MsgRandom"] for c in gateway.im_push_calls()}) <= 1


def run_http(gateway: Gateway, moto_url: str, sequence: Sequence[str], key: str) -> Run:
    _prepare(gateway, moto_url, sequence)
    answers = []
    for _ in range(REQUESTS_PER_PUSH):
        answers.append(gateway.push(SALE, key=key))
        gateway.sandbox.advance_clock(2.0)
    run = _finish(gateway, sequence, "http")
    _check_run(run)
    _same_msg_random(gateway)
    if any(label in MAYBE_A_TASK - {"ok"} for label in run.labels):
        unknown = next(a for a in answers if a.code == "outcome_unknown")
        assert unknown.status in (502, 504) and unknown.body["retryable"] is False
        later = answers[answers.index(unknown) + 1 :]
        assert all(a.body == unknown.body for a in later), answers
        assert all(a.headers.get("idempotent-replayed") == "true" for a in later)
    for answer in answers:
        assert answer.status != 500, answer
    return run


def run_event(gateway: Gateway, moto_url: str, sequence: Sequence[str], key: str) -> Run:
    _prepare(gateway, moto_url, sequence)
    detail = {**SALE, "idempotency_key": key}
    for _ in range(REQUESTS_PER_PUSH):  # EventBridge redelivers, retried or not
        with contextlib.suppress(RetryEvent):
            gateway.push_event(detail)
        gateway.sandbox.advance_clock(2.0)
    run = _finish(gateway, sequence, "eventbridge")
    _check_run(run)
    _same_msg_random(gateway)
    kinds = [entry["DetailType"] for entry in gateway.published()]
    final = [k for k in kinds if k in ("Push Sent", "Push Outcome Unknown")]
    assert len(final) <= 1, kinds  # one outcome announced, however often it was delivered
    if any(label in MAYBE_A_TASK for label in run.labels):
        assert "Push Failed" not in kinds, kinds  # a consumer must never re-request it
        details = [json.loads(e["Detail"]) for e in gateway.published()]
        assert all(d.get("push_id") and d.get("request_event_id") for d in details), details
    return run


@pytest.mark.parametrize("sequence", TABLE, ids=lambda s: "+".join(s) or "clean")
def test_http_push_is_sent_at_most_once(
    gateway: Gateway, moto_url: str, sequence: tuple[str, ...]
) -> None:
    run_http(gateway, moto_url, sequence, key="table-http")


@pytest.mark.parametrize("sequence", TABLE, ids=lambda s: "+".join(s) or "clean")
def test_event_push_is_sent_at_most_once(
    gateway: Gateway, moto_url: str, sequence: tuple[str, ...]
) -> None:
    run_event(gateway, moto_url, sequence, key="table-event")


def test_a_push_whose_answer_times_out_is_never_sent_again(gateway: Gateway, moto_url: str) -> None:
    _prepare(gateway, moto_url, ())
    gateway.sandbox.add_fault("accept_then_delay", command="im_push", delay_seconds=2.0)
    first = gateway.push(SALE, key="slow", remaining_ms=1800)  # times out at the deadline
    gateway.sandbox.advance_clock(2.0)
    again = gateway.push(SALE, key="slow")
    assert (first.status, first.code, again.body) == (504, "outcome_unknown", first.body)
    assert len(gateway.im_push_calls()) == 1 and gateway.quota()["used"] == 1


SEQUENCES = st.lists(st.sampled_from(sorted(FAULTS)), min_size=0, max_size=4)


@settings(
    # `make soak` raises it (AT_MOST_ONCE_EXAMPLES); each example is 4 requests, ~0.3 s.
    max_examples=int(os.environ.get("AT_MOST_ONCE_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(sequence=SEQUENCES, path=st.sampled_from(["http", "eventbridge"]))
def test_any_sequence_of_answers_broadcasts_at_most_once(
    gateway: Gateway, moto_url: str, sequence: list[str], path: str
) -> None:
    runner = run_http if path == "http" else run_event
    runner(gateway, moto_url, sequence, key="generated")


def test_zz_figures(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints what the suite tried (the numbers quoted in docs and notes)."""
    assert FIGURES.sequences > 0
    with capsys.disabled():
        print(
            f"\nat-most-once: {FIGURES.sequences} answer sequences "
            f"({FIGURES.by_path}), {FIGURES.requests} requests, "
            f"max broadcasts per logical push {FIGURES.max_broadcasts}"
        )
    assert FIGURES.max_broadcasts <= 1

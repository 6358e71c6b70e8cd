"""Concurrent approvals of one push send it once, on dynalite (docs/architecture.md §16,
docs/decisions.md §21).

1. In-process: threads approve the same pending push at the same instant (each a different
   approver), through the real approval, records and quota code on dynalite; and approvals race
   a reject. Every round has exactly one winner and the push reaches Tencent at most once.
2. Over HTTP on the local stack (dynalite, worker processes standing for Lambdas, the Tencent
   sandbox): approvers race `POST /v1/pushes/{id}/approve`; exactly one 200 per push, the others
   409 `not_pending` (or `idempotency_in_progress`), and the sandbox counts one broadcast per push.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import pytest

from push_common.errors import GatewayError
from push_common.identity import Caller
from push_common.push.approval import approve_push, reject_push, request_approval
from push_common.push.records import Claim, PushRecords
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps
from push_common.quota import QuotaPolicy, QuotaStore
from push_common.quota_calendar import QuotaCalendar
from push_common.settings import Settings
from push_common.tim_client import TimClient
from tests.proofs.reliability.contention_worker import dynamodb
from tests.support.push_fakes import CREDS, FakeTimClient
from tests.support.stack_client import StackProcess, request

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ZONE = ZoneInfo("Asia/Shanghai")
REQUESTER = "arn:aws:iam::123456789012:role/orders"
APPROVERS = [f"arn:aws:iam::123456789012:role/approver-{n}" for n in range(8)]
SALE = {"audience": {"all": True}, "message": {"text": "Sale starts now"}}
ROUNDS = 10
LOSERS = {"not_pending", "idempotency_in_progress"}


class CountingRecords(PushRecords):
    """The real records; counts the approval claims that lost their conditional write."""

    lost = 0

    def approve(self, push_id: str, *, by: str, lease_until_ms: int) -> Claim | None:
        claim = super().approve(push_id, by=by, lease_until_ms=lease_until_ms)
        if claim is None:
            with _LOCK:
                CountingRecords.lost += 1
        return claim


_LOCK = threading.Lock()


def make_deps(url: str, client: FakeTimClient) -> PushDeps:
    ddb = dynamodb(url)
    settings = Settings.from_env(
        {
            **os.environ,
            "PUSH_DAILY_LIMIT": "1000",
            "PUSH_MIN_INTERVAL_MS": "0",
            "APPROVAL_REQUIRED": "all",
            "APPROVERS": ",".join(APPROVERS),
        }
    )
    policy = QuotaPolicy(1000, 0, 0, QuotaCalendar(ZONE), schedule_max_days=30)
    return PushDeps(
        settings=settings,
        client=cast(TimClient, client),
        credentials=lambda: CREDS,
        quota=lambda creds: QuotaStore(ddb, "push-quota", "app-approvals", policy),
        attribute_names=lambda wanted: (),
        records=CountingRecords(ddb, "push-records", retention_days=1),
    )


def race(actions: list[Callable[[], str]]) -> list[str]:
    """Run every action at the same instant; each returns an outcome or a problem code."""
    start = threading.Barrier(len(actions))

    def run(action: Callable[[], str]) -> str:
        start.wait()
        try:
            return action()
        except GatewayError as exc:
            return exc.code

    with ThreadPoolExecutor(len(actions)) as pool:
        return list(pool.map(run, actions))


def approval(push_id: str, approver: str, deps: PushDeps) -> Callable[[], str]:
    def act() -> str:
        answer = approve_push(push_id, Caller(approver), deps, deadline=None)
        return f"{answer.status} {answer.body.get('status')}"

    return act


def pending(n: int, prefix: str, deps: PushDeps) -> str:
    ctx = PushContext(caller=REQUESTER, idempotency_scope=REQUESTER, idempotency_key=f"{prefix}{n}")
    answer = request_approval(PushRequest.model_validate(SALE), ctx, deps)
    assert answer.record_status == "pending_approval"
    return answer.push_id


def test_concurrent_approvals_in_process_send_once(ddb_url: str) -> None:
    client = FakeTimClient()
    deps = make_deps(ddb_url, client)
    CountingRecords.lost = 0
    outcomes: Counter[str] = Counter()
    for n in range(ROUNDS):
        push_id = pending(n, "approve-", deps)
        sent_before = len(client.calls)
        results = race([approval(push_id, a, deps) for a in APPROVERS])
        outcomes.update(results)
        assert results.count("200 submitted") == 1, results
        assert set(results) <= {"200 submitted", *LOSERS}, results
        assert len(client.calls) - sent_before == 1
    print(
        f"\napproval-contention: path=in-process store=dynalite rounds={ROUNDS} "
        f"approvers={len(APPROVERS)} sent={outcomes['200 submitted']} "
        f"not_pending={outcomes['not_pending']} "
        f"in_progress={outcomes['idempotency_in_progress']} "
        f"conditional_claims_lost={CountingRecords.lost} upstream_calls={len(client.calls)}"
    )
    assert len(client.calls) == ROUNDS


def test_approvals_racing_a_reject_have_exactly_one_winner(ddb_url: str) -> None:
    client = FakeTimClient()
    deps = make_deps(ddb_url, client)
    winners: Counter[str] = Counter()
    for n in range(ROUNDS):
        push_id = pending(n, "reject-race-", deps)

        def reject(push_id: str = push_id) -> str:
            return f"200 {reject_push(push_id, Caller(REQUESTER), deps)['status']}"

        sent_before = len(client.calls)
        results = race([approval(push_id, a, deps) for a in APPROVERS[:3]] + [reject])
        won = [r for r in results if r.startswith("200")]
        assert len(won) == 1 and set(results) - set(won) <= LOSERS, results
        status = str((deps.records.get(push_id) or {})["status"]["S"])
        sent = len(client.calls) - sent_before
        if won == ["200 rejected"]:
            assert (status, sent) == ("rejected", 0)
            winners["reject"] += 1
        else:
            assert (won, status, sent) == (["200 submitted"], "submitted", 1)
            winners["approve"] += 1
    print(
        f"\napprove-vs-reject: store=dynalite rounds={ROUNDS} approve_won={winners['approve']} "
        f"reject_won={winners['reject']} upstream_calls={len(client.calls)}"
    )
    assert sum(winners.values()) == ROUNDS and len(client.calls) == winners["approve"]


HTTP_ROUNDS = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log: Path = tmp_path_factory.mktemp("approval-contention") / "stack.log"
    env = {
        "PUSH_MIN_INTERVAL_MS": "0",
        "APPROVAL_REQUIRED": "all",
        "APPROVERS": ",".join(APPROVERS),
        "LOCAL_CONCURRENCY": "4",
    }
    started = StackProcess(log, env).start()
    yield started
    started.stop()


def test_concurrent_approvals_over_http_broadcast_once(stack: StackProcess) -> None:
    assert stack.dynamodb_standin == "dynalite", "the proof needs serialised conditional writes"
    url = stack.url
    # Warm every worker, so the race is between approvals, not cold starts.
    race([lambda: str(request("GET", f"{url}/v1/quota").status) for _ in range(4)])
    statuses: Counter[str] = Counter()
    broadcasts_before = len(request("GET", f"{url}/_local/pushes").json()["pushes"])
    for n in range(HTTP_ROUNDS):
        headers = {"x-local-caller-arn": REQUESTER, "idempotency-key": f"http-race-{n}"}
        answer = request("POST", f"{url}/v1/pushes", SALE, headers)
        assert answer.json()["status"] == "pending_approval", answer.body
        push_id = answer.json()["push_id"]
        before = len(request("GET", f"{url}/_local/pushes").json()["pushes"])

        def approve(approver: str, push_id: str = push_id) -> str:
            reply = request(
                "POST", f"{url}/v1/pushes/{push_id}/approve", b"", {"x-local-caller-arn": approver}
            )
            return "200" if reply.status == 200 else f"{reply.status} {reply.json()['code']}"

        results = race([functools.partial(approve, a) for a in APPROVERS[:6]])
        statuses.update(results)
        after = request("GET", f"{url}/_local/pushes").json()["pushes"]
        assert results.count("200") == 1, results
        assert set(results) - {"200"} <= {f"409 {code}" for code in LOSERS}, results
        assert len(after) - before == 1
        record = request("GET", f"{url}/v1/pushes/{push_id}").json()
        assert (record["status"], record["caller"]) == ("submitted", REQUESTER)
        assert record["approved_by"] in APPROVERS
    broadcasts = len(request("GET", f"{url}/_local/pushes").json()["pushes"]) - broadcasts_before
    print(
        f"\napproval-contention: path=http store={stack.dynamodb_standin} workers=4 "
        f"pushes={HTTP_ROUNDS} approvers=6 ok={statuses['200']} "
        f"not_pending={statuses['409 not_pending']} "
        f"in_progress={statuses['409 idempotency_in_progress']} "
        f"conditional_claims_lost={stack.log_text().count('approval claim lost')} "
        f"sandbox_broadcasts={broadcasts}"
    )
    assert broadcasts == HTTP_ROUNDS

"""One process of the contention test: the real push service with a shifted clock."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import boto3
from pydantic import SecretStr

from devstack.aws import create_table
from devstack.sandbox import UpstreamSandbox
from devstack.template import load_template, tables
from push_common.credentials import AdminCredentials
from push_common.errors import GatewayError
from push_common.push.records import PushRecords
from push_common.push.request import PushRequest
from push_common.push.service import PushContext, PushDeps
from push_common.push.submission import submit_push
from push_common.quota import QuotaPolicy, QuotaStore
from push_common.settings import Settings
from push_common.tim_client import TimClient

APP = 1400000000
IDENTIFIER = "administrator"
KEY = "contention-test-key"
TABLE = "push-quota"
RECORDS_TABLE = "push-records"


@dataclass(frozen=True)
class WorkerPlan:
    dynamodb_url: str
    limit: int
    interval_ms: int
    timezone: str
    # Set by `run_across_midnight` once the workers are warm.
    upstream_url: str = ""
    clock_offset: float = 0.0
    start_at: float = 0.0
    stop_at: float = 0.0
    # Caller budgets (QUOTA_BUDGETS) and the callers a budget worker pushes as, in turn.
    budgets: Mapping[str, int] = field(default_factory=dict)
    callers: tuple[str, ...] = ("contention-test",)


@dataclass(frozen=True)
class MidnightRun:
    outcomes: Counter[str]  # summed over the workers
    pushes: list[dict[str, Any]]  # what reached the sandbox
    upstream_codes: Counter[int]  # the sandbox's answers, by ErrorCode


def run_across_midnight(
    worker: Callable[[WorkerPlan], Counter[str]],
    plans: Sequence[WorkerPlan],
    *,
    sim_start: datetime,
    seconds: float,
) -> MidnightRun:
    """Run `worker` once per plan, each in its own process, for `seconds`, on a simulated clock
    shared with the sandbox that starts at `sim_start` (a few seconds before a midnight)."""
    first = plans[0]
    clock_offset = [0.0]  # set once the workers are warm; read by the sandbox's clock
    sandbox = contention_sandbox(
        limit=first.limit,
        interval_ms=first.interval_ms,
        timezone=first.timezone,
        clock_offset=clock_offset,
    )
    sandbox.start()
    try:
        with mp.get_context("spawn").Pool(len(plans)) as pool:
            pool.map(warm_up, range(len(plans)))  # imports done before the clock starts
            real_start = time.time() + 0.3
            clock_offset[0] = sim_start.timestamp() - real_start
            timed = [
                replace(
                    plan,
                    upstream_url=sandbox.url,
                    clock_offset=clock_offset[0],
                    start_at=real_start,
                    stop_at=real_start + seconds,
                )
                for plan in plans
            ]
            outcomes = sum(pool.map(worker, timed), Counter[str]())
        codes = Counter(int(call["error_code"]) for call in sandbox.calls())
        return MidnightRun(outcomes, sandbox.pushes(), codes)
    finally:
        sandbox.stop()


def dynamodb(url: str) -> Any:
    """A DynamoDB client of the proof's dynalite (any credentials do)."""
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_tables(dynamodb_url: str) -> None:
    """The quota and records tables of template.yaml, in the proof's dynalite."""
    ddb = dynamodb(dynamodb_url)
    specs = tables(load_template())
    create_table(ddb, TABLE, specs["QuotaTable"])
    create_table(ddb, RECORDS_TABLE, specs["PushesTable"])


def contention_sandbox(
    *, limit: int, interval_ms: int, timezone: str, clock_offset: list[float]
) -> UpstreamSandbox:
    """The upstream sandbox with Tencent's limits, on the simulated clock (`clock_offset[0]`
    seconds ahead of the real one, set once the workers are warm)."""
    return UpstreamSandbox(
        sdkappid=APP,
        identifier=IDENTIFIER,
        key=KEY,
        daily_limit=limit,
        min_interval_ms=interval_ms,
        timezone=timezone,
        clock=lambda: time.time() + clock_offset[0],
    )


def _deps(plan: WorkerPlan) -> PushDeps:
    settings = Settings(
        tim_secret_id="unused",
        tim_region="singapore",
        tim_base_url=plan.upstream_url,
        quota_table=TABLE,
        idempotency_table="unused",
        push_daily_limit=plan.limit,
        push_min_interval_ms=plan.interval_ms,
        quota_timezone=plan.timezone,
        quota_max_wait_ms=0,  # refuse at once: maximal contention on the quota item
        # Reservations are spaced by interval + margin; the margin absorbs the request jitter of a
        # loaded 2-core CI machine between reserving a slot and the sandbox receiving the push.
        quota_safety_margin_ms=150,
        quota_budgets=tuple(plan.budgets.items()),
    )
    creds = AdminCredentials(sdkappid=APP, identifier=IDENTIFIER, key=SecretStr(KEY))
    ddb = dynamodb(plan.dynamodb_url)
    policy = QuotaPolicy.of(settings)  # what the functions build from the same settings
    store = QuotaStore(ddb, TABLE, str(APP), policy, clock=lambda: time.time() + plan.clock_offset)
    return PushDeps(
        settings=settings,
        client=TimClient(settings, credentials=lambda **_: creds),
        credentials=lambda: creds,
        quota=lambda _: store,
        attribute_names=lambda _: (),
        records=PushRecords(ddb, RECORDS_TABLE, retention_days=1),
    )


def warm_up(_: int) -> None:
    """Runs in each pool process before the clock starts, so imports don't eat the run."""


def run_worker(plan: WorkerPlan) -> Counter[str]:
    """Push until `stop_at`; count accepted and refused-by-reason."""
    deps = _deps(plan)
    req = PushRequest.model_validate({"audience": {"all": True}, "message": {"text": "load"}})
    outcomes: Counter[str] = Counter()
    time.sleep(max(0.0, plan.start_at - time.time()))
    while time.time() < plan.stop_at:
        try:
            answer = submit_push(req, PushContext(caller="contention-test"), deps)
        except GatewayError as exc:
            outcomes[exc.code] += 1
        else:
            outcomes["accepted" if answer.status == 202 else str(answer.body["code"])] += 1
        time.sleep(0.002)
    return outcomes


def run_budget_worker(plan: WorkerPlan) -> Counter[str]:
    """Push as each of `plan.callers` in turn until `stop_at`: `accepted|<caller>|<day>` per
    accepted push (its quota day, from the answer), refusals by code."""
    deps = _deps(plan)
    req = PushRequest.model_validate({"audience": {"all": True}, "message": {"text": "budget"}})
    outcomes: Counter[str] = Counter()
    time.sleep(max(0.0, plan.start_at - time.time()))
    for caller in itertools.cycle(plan.callers):
        if time.time() >= plan.stop_at:
            break
        try:
            answer = submit_push(req, PushContext(caller=caller), deps)
        except GatewayError as exc:
            outcomes[exc.code] += 1
        else:
            if answer.status != 202:
                outcomes[str(answer.body["code"])] += 1
            else:
                resets = datetime.fromisoformat(answer.body["quota"]["resets_at"])
                day = (resets - timedelta(seconds=1)).date().isoformat()
                outcomes[f"accepted|{caller}|{day}"] += 1
        time.sleep(0.002)
    return outcomes

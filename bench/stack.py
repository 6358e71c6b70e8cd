"""The emulators every bench shares: DynamoDB (dynalite, else moto), moto, the upstream sandbox.

Provisioning reuses the local stack's `Backends` (tables and secret straight from template.yaml),
so each function gets the environment it would get from `make run`, with the quota interval at 0
and a daily limit no run can reach.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Self

from devstack.backends import Backends
from devstack.config import DEV_KEY, StackConfig
from devstack.lambda_env import function_env
from devstack.sandbox import UpstreamSandbox
from devstack.template import functions, load_template

UNREACHABLE_LIMIT = 10**9
SDKAPPID = 1400000000
IDENTIFIER = "administrator"
OVERRIDES = {
    "PUSH_DAILY_LIMIT": str(UNREACHABLE_LIMIT),
    "PUSH_MIN_INTERVAL_MS": "0",
    "POWERTOOLS_LOG_LEVEL": "INFO",  # what production runs; per-request log cost is measured
}


def short_name(code_uri: str) -> str:
    """`functions/push_api/` -> `push_api`."""
    return code_uri.rstrip("/").rsplit("/", 1)[-1]


class BenchStack:
    """`with BenchStack() as stack:` emulators up; `stack.env[name]` is a function's environment."""

    def __init__(self) -> None:
        self.sandbox = UpstreamSandbox(
            sdkappid=SDKAPPID,
            identifier=IDENTIFIER,
            key=DEV_KEY,
            daily_limit=UNREACHABLE_LIMIT,
            min_interval_ms=0,
        )
        self.env: dict[str, dict[str, str]] = {}
        self.backends: Backends | None = None
        self.dynamodb_standin = ""

    def start(self) -> Self:
        """Start and provision everything; on failure stop what had started."""
        self.sandbox.start()
        self.sandbox.add_users("bench-user-1")
        config = StackConfig(
            port=0,
            key=DEV_KEY,
            tim_base_url=self.sandbox.url,
            dynamodb=os.environ.get("BENCH_DYNAMODB", "auto"),
        )
        template = load_template()
        self.backends = Backends(config, template, lambda _: None)
        try:
            self.backends.start()
        except BaseException:
            self.stop()
            raise
        self.dynamodb_standin = self.backends.dynamodb_standin
        for spec in functions(template).values():
            self.env[short_name(spec.code_uri)] = function_env(
                spec, self.backends.names, self.backends.aws_env, OVERRIDES, os.environ
            )
        return self

    def stop(self) -> None:
        if self.backends is not None:
            self.backends.stop()
        self.sandbox.stop()

    @property
    def aws_env(self) -> dict[str, str]:
        assert self.backends is not None
        return self.backends.aws_env

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@contextmanager
def function_environment(env: dict[str, str]) -> Iterator[None]:
    """Run in-process code under `env` (on top of ours) with push_common's caches cleared."""
    from push_common import caches

    saved = dict(os.environ)
    os.environ.update(env)
    caches.clear_all()
    try:
        yield
    finally:
        caches.clear_all()
        os.environ.clear()
        os.environ.update(saved)


def table_names(env: dict[str, str]) -> tuple[str, str]:
    """(quota table, push records table) of a push function's environment."""
    return env["QUOTA_TABLE"], env["PUSHES_TABLE"]


def describe(stack: BenchStack) -> dict[str, Any]:
    """What the figures were measured against (printed with the table)."""
    return {"dynamodb": stack.dynamodb_standin, "upstream": "devstack sandbox (loopback)"}

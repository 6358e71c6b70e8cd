"""The whole local stack in-process: backends, one worker pool per function, the HTTP adapter."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from devstack.adapter import Adapter, AdapterServer
from devstack.backends import Backends
from devstack.bus_policy import bus_policy
from devstack.config import ACCOUNT_ID, StackConfig
from devstack.events import LocalEvents
from devstack.intrinsics import evaluate, parameter_values
from devstack.lambda_env import function_env
from devstack.pool import FunctionPool
from devstack.routes import Router
from devstack.schedules import LocalScheduler
from devstack.sigv4 import LocalCredentials, SigV4Verifier
from devstack.template import (
    TEMPLATE,
    FunctionSpec,
    functions,
    load_template,
    resources_of_type,
    route_table,
)
from devstack.workers import InvocationError


def _quiet(_: str) -> None:
    pass


class LocalStack:
    """`with LocalStack(port=0) as stack:` serves the template's functions on `stack.url`.

    Workers are `spawn`ed, so a script that starts a stack needs the usual
    `if __name__ == "__main__":` guard.
    """

    def __init__(
        self,
        port: int | None = None,
        env_overrides: Mapping[str, str] | None = None,
        template_path: Path = TEMPLATE,
        say: Callable[[str], None] = _quiet,
    ) -> None:
        environ = {**os.environ, **(env_overrides or {})}
        if port is not None:
            environ["PORT"] = str(port)
        self.config = StackConfig.from_env(environ)
        self._environ = environ
        self._template = load_template(template_path)
        self._say = say
        self.backends = Backends(self.config, self._template, say)
        self.pools: dict[str, FunctionPool] = {}
        self._server: AdapterServer | None = None
        self.scheduler: LocalScheduler | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "call start() first"
        return self._server.url

    @property
    def sandbox_url(self) -> str | None:
        return self.backends.sandbox_url

    @property
    def aws_endpoint(self) -> str:
        return self.backends.aws_env["AWS_ENDPOINT_URL_SECRETS_MANAGER"]

    def start(self) -> Self:
        """Start everything; on failure, stop what had started and re-raise."""
        self.config.check_function_settings()  # before anything starts: nothing to stop
        try:
            self.backends.start()
            self._start_functions()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the adapter, the workers and the backends (in that order)."""
        if self._server is not None:
            self._server.stop()
        if self.scheduler is not None:
            self.scheduler.stop()
        for pool in self.pools.values():
            pool.close()
        self.backends.stop()

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        """One invocation of a function in its worker pool (InvocationError if it raised)."""
        return self.pools[logical_id].invoke(event)

    def _start_functions(self) -> None:
        specs = functions(self._template)
        for logical_id, spec in specs.items():
            env = function_env(
                spec,
                self.backends.names,
                self.backends.aws_env,
                self.config.function_overrides,
                self._environ,
            )
            self.pools[logical_id] = FunctionPool(
                spec, env, self.config.concurrency, self.config.region
            )
        events = self._local_events(specs)
        router = Router(route_table(self._template))
        verifier = SigV4Verifier(
            LocalCredentials(
                self.config.access_key_id, self.config.secret_access_key, self.config.caller_arn
            ),
            self.config.region,
        )
        groups = resources_of_type(self._template, "AWS::Scheduler::ScheduleGroup")
        scheduler = LocalScheduler(
            self.backends.aws_env, [self.backends.names.refs[g] for g in groups], self.invoke
        )
        self.scheduler = scheduler
        scheduler.start()
        adapter = Adapter(
            router,
            self.invoke,
            events,
            self.backends.sandbox_url,
            verifier,
            schedules=lambda: [s.to_dict() for s in scheduler.pending()],
        )
        self._server = AdapterServer(adapter, self.config.port)
        self._server.start()
        threading.Thread(target=self._warm, daemon=True).start()

    def _local_events(self, specs: Mapping[str, FunctionSpec]) -> LocalEvents:
        """`/_local/events` with the rule patterns and bus policy these parameters deploy."""
        # Parameters follow the variables that Ref them (e.g. ALLOWED_EVENT_SOURCES).
        variables = {k: v for spec in specs.values() for k, v in spec.environment.items()}
        params = parameter_values(self._template, variables, self.config.function_overrides)
        params["PartnerAccounts"] = self.config.partner_accounts
        region = self.config.region
        patterns = {
            i: [evaluate(p, self._template, params, region) for p in s.eventbridge_patterns]
            for i, s in specs.items()
            if s.eventbridge_patterns
        }
        capture = self.backends.capture
        return LocalEvents(
            patterns,
            self.invoke,
            capture.events if capture is not None else list,
            region,
            bus_policy(self._template, params, region, ACCOUNT_ID),
        )

    def _warm(self) -> None:
        # One function at a time: on 2 cores, parallel cold imports would slow the first request.
        for pool in self.pools.values():
            with contextlib.suppress(InvocationError):
                pool.warm()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

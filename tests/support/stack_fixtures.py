"""Local stacks for the suites that talk HTTP to one (integration, proofs): `python -m devstack`
subprocesses with captured logs.

`local_stack` (session): one stack with PUSH_MIN_INTERVAL_MS=0 so tests can push back to back.
`stack_factory` (function): `stack_factory(PUSH_DAILY_LIMIT="3")` starts another stack with that
environment and stops it after the test. Each stack writes all its stdout/stderr (the workers'
too) to a file; `.log_text()` returns it so a test can scan the logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack_client import StackFactory, StackProcess

FAST_PUSHES = {"PUSH_MIN_INTERVAL_MS": "0"}


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    log = tmp_path_factory.mktemp("local-stack") / "stack.log"
    stack = StackProcess(log, dict(FAST_PUSHES)).start()
    yield stack
    stack.stop()


@pytest.fixture
def stack_factory(tmp_path: Path) -> Iterator[StackFactory]:
    started: list[StackProcess] = []

    def start(**env: str) -> StackProcess:
        stack = StackProcess(tmp_path / f"stack-{len(started)}.log", {**FAST_PUSHES, **env})
        started.append(stack.start())
        return stack

    yield start
    for stack in started:
        stack.stop()

"""Fixtures for the upstream sandbox tests: a fake clock, a started sandbox, a client."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from devstack.sandbox import UpstreamSandbox
from tests.local_stack.sandbox.helpers import ADMIN, KEY, SDKAPPID, Client, FakeClock


@pytest.fixture(scope="session")
def _shared_clock() -> FakeClock:
    return FakeClock(time.time())


@pytest.fixture(scope="session")
def _shared_sandbox(_shared_clock: FakeClock) -> Iterator[UpstreamSandbox]:
    sb = UpstreamSandbox(sdkappid=SDKAPPID, identifier=ADMIN, key=KEY, clock=_shared_clock)
    with sb:
        yield sb


@pytest.fixture
def clock(_shared_clock: FakeClock) -> FakeClock:
    """The shared sandbox's clock, set back to real time for each test."""
    _shared_clock.now = time.time()
    return _shared_clock


@pytest.fixture
def sandbox(_shared_sandbox: UpstreamSandbox, clock: FakeClock) -> UpstreamSandbox:
    """One sandbox for the session (starting one per test costs more than the test), reset."""
    _shared_sandbox.reset()
    return _shared_sandbox


@pytest.fixture
def client(sandbox: UpstreamSandbox, clock: FakeClock) -> Iterator[Client]:
    c = Client(sandbox, clock)
    yield c
    c.http.clear()

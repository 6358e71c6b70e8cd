"""Fixtures shared by every test: a known environment and clean caches around each test.

The local-stack fixtures (`local_stack`, one per session; `stack_factory`, per test) are
available to every suite that talks HTTP to a stack (tests/support/stack_fixtures.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.env import BASE_ENV, clear_process_caches
from tests.support.stack_fixtures import local_stack, stack_factory

__all__ = ["gateway_env", "local_stack", "stack_factory"]


@pytest.fixture(autouse=True)
def gateway_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "TIM_BASE_URL",
        "ALLOWED_SENDERS",
        "BROADCAST_ALL_PRINCIPALS",
        "EVENT_BUS_NAME",
        "ADMIN_PRINCIPALS",
        "ALLOWED_EVENT_SOURCES",
        "STACK_ACCOUNT_ID",
        "APPROVAL_REQUIRED",
        "APPROVERS",
        "APPROVAL_TTL_HOURS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    clear_process_caches()
    yield
    clear_process_caches()

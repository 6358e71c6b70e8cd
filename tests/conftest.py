"""Fixtures shared by every test: a known environment and clean caches around each test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events"

BASE_ENV = {
    "TIM_SECRET_ID": "tim-push-gateway/admin",
    "TIM_REGION": "singapore",
    "QUOTA_TABLE": "push-quota",
    "PUSHES_TABLE": "push-records",
    "PUSH_DAILY_LIMIT": "100",
    "PUSH_MIN_INTERVAL_MS": "1000",
    "QUOTA_TIMEZONE": "Asia/Shanghai",
    "POWERTOOLS_SERVICE_NAME": "tim-push-gateway",
    "POWERTOOLS_METRICS_NAMESPACE": "TimPushGateway",
    "POWERTOOLS_DEV": "false",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def clear_process_caches() -> None:
    """Forget every cached setting, client, secret and UserSig of push_common."""
    from push_common import caches

    caches.clear_all()


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
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in BASE_ENV.items():
        monkeypatch.setenv(name, value)
    clear_process_caches()
    yield
    clear_process_caches()


def load_event(name: str) -> dict[str, Any]:
    """One file of `events/`, the same files `sam local invoke -e` takes."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data

"""The known test environment and the repository's `events/` files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
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


def load_event(name: str) -> dict[str, Any]:
    """One file of `events/`, the same files `sam local invoke -e` takes."""
    data: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return data

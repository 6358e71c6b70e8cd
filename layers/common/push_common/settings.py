"""Environment of every function, validated once and read through a cached getter.

Settings are never read at import time: `get_settings()` reads them on first use, and tests
reset it with `caches.clear_all()` after changing the environment. (Only `observability` reads
`POWERTOOLS_*` at import, as Powertools' Logger and Metrics do themselves.)
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from push_common.upstream_api import UpstreamApi

Region = Literal[
    "china",
    "singapore",
    "seoul",
    "tokyo",
    "frankfurt",
    "mumbai",
    "silicon-valley",
    "jakarta",
    "riyadh",
]


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return frozenset(item.strip() for item in value.split(",") if item.strip())
    return value


def _empty_is_none(value: object) -> object:
    return None if value == "" else value


CommaSet = Annotated[frozenset[str], BeforeValidator(_comma_list)]
OptionalStr = Annotated[str | None, BeforeValidator(_empty_is_none)]


class Settings(BaseModel):
    """Configuration (docs/architecture.md §5); fields are the lower-cased environment variables."""

    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)

    tim_secret_id: str = Field(min_length=1)
    tim_region: Region
    tim_base_url: OptionalStr = None
    # Which upstream family pushes and audience calls use (docs/decisions.md §16).
    tim_push_api: UpstreamApi = "all_member_push"
    # Required by the push functions only (see `require`); the audience function has no tables.
    quota_table: OptionalStr = None
    # Push records, which are also the idempotency entries (docs/architecture.md §12).
    pushes_table: OptionalStr = None
    push_retention_days: int = Field(default=90, ge=1, le=3650)
    # How long a `sending` record is trusted to belong to a live invocation when the caller gave
    # no deadline; after it, whoever finds the record calls the outcome unknown.
    push_lease_seconds: int = Field(default=60, ge=1)
    push_daily_limit: int = Field(default=100, ge=1)
    push_min_interval_ms: int = Field(default=1000, ge=0)
    quota_timezone: str = "Asia/Shanghai"
    # Added to the interval so two Lambdas with slightly skewed clocks still stay apart upstream.
    quota_safety_margin_ms: int = Field(default=50, ge=0)
    # A synchronous caller prefers a short wait for the interval over a 429.
    quota_max_wait_ms: int = Field(default=2000, ge=0)
    allowed_senders: CommaSet = frozenset()
    broadcast_all_principals: CommaSet = frozenset()
    # Principals (matched like BROADCAST_ALL_PRINCIPALS) who may cancel or recall any push.
    admin_principals: CommaSet = frozenset()
    # EventBridge `source` values that may request pushes; empty = any source on the bus.
    allowed_event_sources: CommaSet = frozenset()
    # The stack's own account: events from any other account are named `eventbridge:<acct>/<src>`.
    stack_account_id: OptionalStr = None
    event_bus_name: OptionalStr = None
    event_source: str = "tim-push-gateway"
    secret_max_age_seconds: int = Field(default=300, ge=0)
    usersig_expire_seconds: int = Field(default=86400, ge=600)
    attr_names_max_age_seconds: int = Field(default=60, ge=0)
    upstream_connect_timeout_seconds: float = Field(default=2.0, gt=0)
    # Tencent's own REST timeout is 3 s, so ours must be longer; a push's answer is either quick
    # or lost, so waiting longer than 8 s only burns the Lambda's time.
    upstream_read_timeout_seconds: float = Field(default=4.0, gt=3.0, le=8.0)
    max_body_bytes: int = Field(default=65536, ge=1024)
    # Scheduled pushes (docs/architecture.md §14): how far ahead `send_at` may be, and the
    # EventBridge Scheduler group, execution role, target (the dispatcher) and dead-letter queue.
    schedule_max_days: int = Field(default=30, ge=1, le=365)
    schedule_group_name: OptionalStr = None
    scheduler_role_arn: OptionalStr = None
    schedule_target_arn: OptionalStr = None
    schedule_dlq_arn: OptionalStr = None
    # Approval before a push to everyone (docs/architecture.md §16): `all` or empty (none);
    # APPROVERS are the normalised callers who may approve; a pending push expires after the TTL.
    approval_required: OptionalStr = None
    approvers: CommaSet = frozenset()
    approval_ttl_hours: int = Field(default=24, ge=1, le=720)

    @field_validator("tim_base_url")
    @classmethod
    def _https_unless_loopback(cls, value: str | None) -> str | None:
        # The UserSig travels in the query string: only a loopback sandbox may see it in clear.
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and _is_loopback(parts.hostname):
            return value
        raise ValueError(
            "TIM_BASE_URL must be an https:// URL (http:// only for a loopback host such as "
            f"127.0.0.1 or localhost), got scheme {parts.scheme!r}"
        )

    @field_validator("approval_required")
    @classmethod
    def _known_approval_scope(cls, value: str | None) -> str | None:
        if value is None or value == "all":
            return value
        raise ValueError(f"APPROVAL_REQUIRED must be empty or 'all', got {value!r}")

    @model_validator(mode="after")
    def _approvers_when_required(self) -> Settings:
        if self.approval_required and not self.approvers:
            raise ValueError(
                "APPROVAL_REQUIRED=all needs APPROVERS: a comma list of the callers who may "
                "approve (normalised: a role ARN for its sessions)"
            )
        return self

    @field_validator("quota_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        names = cls.model_fields.keys()
        return cls.model_validate(
            {name: environ[name.upper()] for name in names if name.upper() in environ}
        )

    def require(self, field: str) -> str:
        """A setting that this function cannot work without; a clear error when it is unset."""
        value = getattr(self, field)
        if not value:
            raise RuntimeError(f"{field.upper()} must be set for this function")
        return str(value)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.quota_timezone)


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@cache
def get_settings() -> Settings:
    """Settings of this process, read from the environment on first use."""
    return Settings.from_env(os.environ)

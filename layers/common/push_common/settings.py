"""Environment of every function, validated once and read through a cached getter.

Settings are never read at import time: `get_settings()` reads them on first use, and tests
reset it with `caches.clear_all()` after changing the environment. (Only `observability` reads
`POWERTOOLS_*` at import, as Powertools' Logger and Metrics do themselves.)
"""

import ipaddress
import json
import os
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from push_common.errors import ConfigurationError
from push_common.identity import normalise_principal, same_principal
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


# The name of the pool every caller not listed in QUOTA_BUDGETS shares (docs/architecture.md §15).
SHARED_POOL = "shared"


def _budgets(value: object) -> object:
    """QUOTA_BUDGETS: a JSON object of normalised caller → positive whole number of pushes."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError("QUOTA_BUDGETS must be a JSON object") from None
    if isinstance(value, tuple):  # already pairs (Settings built in code, or a copy)
        value = dict(value)
    if not isinstance(value, dict):
        raise ValueError("QUOTA_BUDGETS must be a JSON object of caller → daily budget")
    budgets: dict[str, int] = {}
    for caller, budget in value.items():
        if not isinstance(caller, str) or not caller.strip() or caller.strip() == SHARED_POOL:
            raise ValueError(f"QUOTA_BUDGETS: {caller!r} is not a caller name")
        # A bool is an int in Python and 40.0 is "40" to JSON: neither is a whole count here.
        if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
            raise ValueError(
                f"QUOTA_BUDGETS: the budget of {caller} must be a positive integer, got {budget!r}"
            )
        name = normalise_principal(caller.strip())
        if twin := next((seen for seen in budgets if same_principal(seen, name)), None):
            raise ValueError(f"QUOTA_BUDGETS: {caller} and {twin} name the same caller")
        budgets[name] = budget
    # Pairs, not a dict: Settings stays hashable (functions cache on it).
    return tuple(budgets.items())


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
    # Reserved daily shares of the limit (docs/architecture.md §15); empty: one shared pool.
    quota_budgets: Annotated[tuple[tuple[str, int], ...], BeforeValidator(_budgets)] = ()
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
    def _approvers_when_required(self) -> Self:
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

    @model_validator(mode="after")
    def _budgets_fit(self) -> Self:
        reserved = sum(self.budget_shares.values())
        if reserved > self.push_daily_limit:
            raise ValueError(
                f"QUOTA_BUDGETS reserve {reserved} pushes a day, more than PUSH_DAILY_LIMIT "
                f"({self.push_daily_limit}); budgets are never silently capped"
            )
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
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
    def budget_shares(self) -> dict[str, int]:
        """QUOTA_BUDGETS as caller → reserved daily share (empty: one shared pool)."""
        return dict(self.quota_budgets)

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


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings of `environ`, or ConfigurationError naming each invalid variable and why."""
    try:
        return Settings.from_env(environ)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """Each problem as `VARIABLE: why` (pydantic's copy of the input is left out)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"][:1]).upper()
        why = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}: {why}" if where and not why.startswith(where) else why)
    return "; ".join(problems)


@cache
def get_settings() -> Settings:
    """Settings of this process, read from the environment on first use.

    Invalid settings raise ConfigurationError on every call (it is not cached), so every request
    says what to fix and nothing is sent until it is fixed."""
    return load_settings(os.environ)

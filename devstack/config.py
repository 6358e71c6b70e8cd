"""Settings of the local stack, read from the environment once at start-up.

See docs/architecture.md §5 (configuration) and §8 (the local stack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from push_common.errors import ConfigurationError
from push_common.settings import load_settings

# Fixed and public on purpose: the local sandbox must verify UserSigs, but nothing real uses it.
DEV_KEY = "tim-push-gateway-local-dev-key-not-a-secret"
DEFAULT_PORT = 3000
ACCOUNT_ID = "123456789012"  # moto's default account, so ARNs it builds agree with ours
DEFAULT_CALLER_ARN = "arn:aws:iam::000000000000:user/local-developer"
# SigV4 key pair the adapter verifies signed requests against. Public on purpose, like DEV_KEY:
# it only ever opens the loopback-only local stack.
DEV_ACCESS_KEY_ID = "AKIALOCALDEVELOPER00"
DEV_SECRET_ACCESS_KEY = "local-dev-secret-access-key-not-a-secret"
# Variables a developer may set to shape the functions' behaviour locally.
FUNCTION_OVERRIDES = (
    "TIM_PUSH_API",
    "PUSH_DAILY_LIMIT",
    "PUSH_MIN_INTERVAL_MS",
    "QUOTA_TIMEZONE",
    "ALLOWED_SENDERS",
    "APPROVAL_REQUIRED",
    "APPROVERS",
    "APPROVAL_TTL_HOURS",
    "BROADCAST_ALL_PRINCIPALS",
    "ADMIN_PRINCIPALS",
    "ALLOWED_EVENT_SOURCES",
    "SCHEDULE_MAX_DAYS",
    "QUOTA_BUDGETS",
)


class StackConfigError(ValueError):
    """The stack's configuration would make every function refuse to work."""


@dataclass(frozen=True)
class StackConfig:
    """Everything the stack reads from its environment; `key` never appears in `repr`."""

    port: int = DEFAULT_PORT
    sdkappid: int = 1400000000
    identifier: str = "administrator"
    key: str = field(default=DEV_KEY, repr=False)
    tim_base_url: str | None = None
    concurrency: int = 4
    dynamodb: str = "auto"
    region: str = "ap-southeast-1"
    sandbox_daily_limit: int = 100
    sandbox_min_interval_ms: int = 1000
    timezone: str = "Asia/Shanghai"
    sandbox_dedup_window_seconds: float = 1.0
    function_overrides: Mapping[str, str] = field(default_factory=dict)
    # The template's PartnerAccounts: other accounts that may put (allowed) events on the bus.
    partner_accounts: str = ""
    # The key pair SigV4-signed requests are verified against, and whom it stands for.
    access_key_id: str = DEV_ACCESS_KEY_ID
    secret_access_key: str = field(default=DEV_SECRET_ACCESS_KEY, repr=False)
    caller_arn: str = DEFAULT_CALLER_ARN

    def check_function_settings(self) -> None:
        """Refuse to start with settings every function would refuse (e.g. QUOTA_BUDGETS over
        the limit): the functions' own check, on the developer's overrides."""
        wiring = {"TIM_SECRET_ID": "local", "TIM_REGION": "singapore"}
        try:
            load_settings({**wiring, **self.function_overrides})
        except ConfigurationError as exc:
            raise StackConfigError(exc.detail) from None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StackConfig:
        """Read PORT, TIM_*, LOCAL_*, SANDBOX_* and the function overrides from `env`."""
        overrides = {n: env[n] for n in FUNCTION_OVERRIDES if n in env}
        overrides.update({n: v for n, v in env.items() if n.startswith("POWERTOOLS_")})
        return cls(
            port=int(env.get("PORT") or DEFAULT_PORT),
            sdkappid=int(env.get("TIM_SDKAPPID") or 1400000000),
            identifier=env.get("TIM_IDENTIFIER") or "administrator",
            key=env.get("TIM_KEY") or DEV_KEY,
            tim_base_url=env.get("TIM_BASE_URL") or None,
            concurrency=max(1, int(env.get("LOCAL_CONCURRENCY") or 4)),
            dynamodb=(env.get("LOCAL_DYNAMODB") or "auto").lower(),
            region=env.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
            sandbox_daily_limit=int(
                env.get("SANDBOX_DAILY_LIMIT") or env.get("PUSH_DAILY_LIMIT") or 100
            ),
            sandbox_min_interval_ms=int(
                env.get("SANDBOX_MIN_INTERVAL_MS") or env.get("PUSH_MIN_INTERVAL_MS") or 1000
            ),
            timezone=env.get("QUOTA_TIMEZONE") or "Asia/Shanghai",
            sandbox_dedup_window_seconds=float(env.get("SANDBOX_DEDUP_WINDOW_SECONDS") or 1.0),
            function_overrides=overrides,
            partner_accounts=env.get("PARTNER_ACCOUNTS") or "",
            access_key_id=env.get("LOCAL_AWS_ACCESS_KEY_ID") or DEV_ACCESS_KEY_ID,
            secret_access_key=env.get("LOCAL_AWS_SECRET_ACCESS_KEY") or DEV_SECRET_ACCESS_KEY,
            caller_arn=env.get("LOCAL_CALLER_ARN") or DEFAULT_CALLER_ARN,
        )

"""The one table mapping every Tencent IM `ErrorCode` to the gateway's answer and retry policy.

Sources: docs/upstream.md §5.1-5.3 (codes), §2.1 (im_push codes), §5.4 (retry advice);
the release rule is docs/decisions.md §4, the at-most-once rule docs/decisions.md §3.

`no_task` is the closed "no task created" list of the at-most-once rule (docs/decisions.md §3):
True only for codes with which Tencent refuses a call before doing anything (validation,
request format, signature and identity, configuration, feature switch, rate limiters, 90024,
90045, 90047). An im_push answered with any other code (91000-class internal errors, timeouts
reported as codes, codes we do not know) may have created a task: it is never sent again, and
its quota slot is kept. Over-counting costs one push; a second broadcast cannot be taken back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

# "backoff": the call was refused by a rate limiter or a transient error, try again later;
# "resign": the UserSig was rejected, re-read the key and sign again once; "interval": 90024;
# "never": repeating the same call cannot succeed.
Retry = Literal["backoff", "resign", "interval", "never"]


@dataclass(frozen=True, kw_only=True)
class UpstreamOutcome:
    """How the gateway answers one upstream ErrorCode."""

    http_status: int
    code: str
    retry: Retry
    no_task: bool  # Tencent certainly did nothing: the call may run again, the slot goes back
    retryable: bool  # what the caller is told (problem+json `retryable`)
    summary: str
    retry_after: int | None = None


def _rows(codes: Iterable[int], outcome: UpstreamOutcome) -> dict[int, UpstreamOutcome]:
    return dict.fromkeys(codes, outcome)


def _invalid(summary: str) -> UpstreamOutcome:
    # The gateway validates before calling, so these mean a gateway bug or a doc drift.
    return UpstreamOutcome(
        http_status=502,
        code="upstream_invalid_request",
        retry="never",
        no_task=True,
        retryable=False,
        summary=summary,
    )


def _config(code: str, summary: str, retry: Retry = "never") -> UpstreamOutcome:
    return UpstreamOutcome(
        http_status=502, code=code, retry=retry, no_task=True, retryable=False, summary=summary
    )


# Internal errors and server timeouts: Tencent advises a retry, but the task may exist.
_UNAVAILABLE = UpstreamOutcome(
    http_status=503,
    code="upstream_unavailable",
    retry="backoff",
    no_task=False,
    retryable=True,
    summary="Tencent IM internal error",
    retry_after=1,
)
_THROTTLED = UpstreamOutcome(
    http_status=503,
    code="upstream_throttled",
    retry="backoff",
    no_task=True,
    retryable=True,
    summary="Tencent IM call frequency exceeded",
    retry_after=1,
)

_TABLE: dict[int, UpstreamOutcome] = {
    **_rows((60002, 60009), _invalid("malformed request URL")),
    **_rows((60003, 90001), _invalid("request body is not valid JSON")),
    **_rows((60004, 60005), _invalid("account or signature error in the request")),
    60015: _invalid("account field is not a string"),
    60017: _invalid("request disabled"),
    **_rows((80002, 93000), _invalid("message packet larger than 8 KB")),
    90002: _invalid("MsgBody format invalid"),
    90005: _invalid("MsgRandom missing or not an integer"),
    90007: _invalid("MsgBody is not an array"),
    90008: _invalid("From_Account missing or nonexistent"),
    90010: _invalid("message format invalid"),
    90018: _invalid("too many accounts in the request"),
    **_rows((90020, 90034), _invalid("tag longer than 50 bytes")),
    90022: _invalid("same tag in TagsOr and TagsAnd"),
    90026: _invalid("MsgLifeTime longer than 7 days"),
    90030: _invalid("attribute value empty or longer than 50 bytes"),
    90032: _invalid("more than 10 tags"),
    90033: _invalid("invalid attribute"),
    90035: _invalid("tag or attribute bound to another account type"),
    90039: _invalid("tags and attributes in one condition"),
    90040: _invalid("empty tag"),
    90043: _invalid("OfflinePushInfo invalid"),
    90044: _invalid("MsgLifeTime is not an integer"),
    90048: _invalid("UserID not found"),
    90049: _invalid("unknown TaskId"),
    90050: _invalid("task already revoked"),
    90052: _invalid("task older than 24 hours"),
    90053: _invalid("revoke without OfflinePushInfo"),
    90056: _invalid("request body larger than 10 KB"),
    70206: _invalid("invalid batch quantity"),
    70402: _invalid("invalid parameter"),
    **_rows((60006, 60012), _config("upstream_config_error", "SDKAppID missing or invalid")),
    **_rows((60010, 90009, 70403), _config("upstream_config_error", "identifier is no admin")),
    70016: _config("upstream_config_error", "key missing or wrong data center for SDKAppID"),
    70020: _config("upstream_config_error", "SDKAppID not found in this region"),
    70398: _config("upstream_config_error", "account quota of the trial edition reached"),
    60016: _config("upstream_app_disabled", "SDKAppID disabled"),
    60020: _config("upstream_app_disabled", "Pro package expired"),
    60021: _config("upstream_ip_not_allowed", "caller IP not in the IP allow-list"),
    70002: _config("upstream_auth_failed", "UserSig empty"),
    **_rows((70003, 70005), _config("upstream_auth_failed", "UserSig invalid")),
    # A rotated key makes the cached one fail here: re-read the secret and re-sign once.
    70009: _config("upstream_auth_failed", "UserSig signature check failed", "resign"),
    **_rows((70013, 70014), _config("upstream_auth_failed", "UserSig of other admin or app")),
    **_rows((70001, 70052), _config("upstream_auth_expired", "UserSig expired", "resign")),
    70050: UpstreamOutcome(
        http_status=503,
        code="upstream_auth_locked",
        retry="never",
        no_task=True,
        retryable=True,
        summary="too many failed UserSig checks",
        retry_after=60,
    ),
    **_rows((70051, 70107, 70114), _config("upstream_account_rejected", "account not usable")),
    90045: _config("push_feature_disabled", "push to all users not enabled for this app"),
    90047: UpstreamOutcome(
        http_status=429,
        code="daily_quota_exhausted",
        retry="never",
        no_task=True,
        retryable=True,
        summary="daily push limit reached",
    ),
    90024: UpstreamOutcome(
        http_status=429,
        code="push_interval",
        retry="interval",
        no_task=True,
        retryable=True,
        summary="pushes less than 1 s apart",
        retry_after=1,
    ),
    90051: UpstreamOutcome(
        http_status=503,
        code="upstream_throttled",
        retry="interval",
        no_task=True,
        retryable=True,
        summary="revoke called more than 1/s",
        retry_after=1,
    ),
    # Documented for scheduled tasks only; what it leaves behind is unknown, so not in the list.
    90107: UpstreamOutcome(
        http_status=502,
        code="upstream_rejected",
        retry="never",
        no_task=False,
        retryable=False,
        summary="scheduled task already dispatching",
    ),
    **_rows((60007, 60011, 60018, 60019), _THROTTLED),
    **_rows((60008, 60013, 60014, 70169, 70202, 70500, 90992, 90994, 90995, 91000), _UNAVAILABLE),
}

UPSTREAM_CODES: Mapping[int, UpstreamOutcome] = MappingProxyType(_TABLE)

_UNKNOWN = UpstreamOutcome(
    http_status=502,
    code="upstream_rejected",
    retry="never",
    no_task=False,
    retryable=False,
    summary="unknown error code",
)

# The closed "no task created" list, for documentation and tests.
NO_TASK_CODES: frozenset[int] = frozenset(c for c, o in _TABLE.items() if o.no_task)


def outcome_for(error_code: int) -> UpstreamOutcome:
    """The gateway's answer to `error_code`; unknown codes keep the quota and are never retried."""
    return UPSTREAM_CODES.get(error_code, _UNKNOWN)

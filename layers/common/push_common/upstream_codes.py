"""The one table mapping every Tencent IM `ErrorCode` to the gateway's answer and retry policy.

Sources: docs/upstream.md §5.1-5.3 (codes), §2.1 (im_push codes), §5.4 (retry advice);
the release rule is docs/decisions.md §4.

Quota release rule: `releases_quota` is True only when upstream definitely refused the call
before creating a push task (validation, auth, config, feature switch, rate limiter), because
then the reserved slot was not spent upstream and giving it back cannot exceed the daily limit.
Internal errors and timeouts (91000, 60008, 70500, ...) may have created a task behind the
error, so the slot is kept: over-counting costs one push, under-counting breaks the limit.
90047 keeps it too: upstream says the day is over, and the quota service marks it exhausted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Retry = Literal["backoff", "resign", "interval", "never"]


@dataclass(frozen=True)
class UpstreamOutcome:
    """How the gateway answers one upstream ErrorCode."""

    http_status: int
    code: str
    retry: Retry
    releases_quota: bool
    retryable: bool
    summary: str
    retry_after: int | None = None


def _rows(codes: Iterable[int], outcome: UpstreamOutcome) -> dict[int, UpstreamOutcome]:
    return dict.fromkeys(codes, outcome)


def _invalid(summary: str) -> UpstreamOutcome:
    # The gateway validates before calling, so these mean a gateway bug or a doc drift.
    return UpstreamOutcome(502, "upstream_invalid_request", "never", True, False, summary)


def _config(code: str, summary: str, retry: Retry = "never") -> UpstreamOutcome:
    return UpstreamOutcome(502, code, retry, True, False, summary)


_UNAVAILABLE = UpstreamOutcome(
    503, "upstream_unavailable", "backoff", False, True, "Tencent IM internal error", 1
)
_THROTTLED = UpstreamOutcome(
    503, "upstream_throttled", "backoff", True, True, "Tencent IM call frequency exceeded", 1
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
        503, "upstream_auth_locked", "never", True, True, "too many failed UserSig checks", 60
    ),
    **_rows((70051, 70107, 70114), _config("upstream_account_rejected", "account not usable")),
    90045: _config("push_feature_disabled", "push to all users not enabled for this app"),
    90047: UpstreamOutcome(
        429, "daily_quota_exhausted", "never", False, True, "daily push limit reached"
    ),
    90024: UpstreamOutcome(
        429, "push_interval", "interval", True, True, "pushes less than 1 s apart", 1
    ),
    90051: UpstreamOutcome(
        503, "upstream_throttled", "interval", True, True, "revoke called more than 1/s", 1
    ),
    90107: _config("upstream_rejected", "scheduled task already dispatching"),
    **_rows((60007, 60011, 60018, 60019), _THROTTLED),
    **_rows((60008, 60013, 60014, 70169, 70202, 70500, 90992, 90994, 90995, 91000), _UNAVAILABLE),
}

UPSTREAM_CODES: Mapping[int, UpstreamOutcome] = MappingProxyType(_TABLE)

_UNKNOWN = UpstreamOutcome(502, "upstream_rejected", "never", False, False, "unknown error code")


def outcome_for(error_code: int) -> UpstreamOutcome:
    """The gateway's answer to `error_code`; unknown codes keep the quota and are never retried."""
    return UPSTREAM_CODES.get(error_code, _UNKNOWN)

"""The upstream ErrorCode table: every documented code is mapped, and mapped by the policy."""

from __future__ import annotations

import re

import pytest

from push_common.upstream_codes import NO_TASK_CODES, UPSTREAM_CODES, UpstreamOutcome, outcome_for

# docs/upstream.md §5.1 (REST/common), §5.2 (account/signature), §5.3 (push), §2.1 (im_push).
DOC_5_1 = [*range(60002, 60022), 80002, 93000]
DOC_5_2 = [70001, 70002, 70003, 70005, 70009, 70013, 70014, 70016, 70020, 70050, 70051, 70052]
DOC_5_2 += [70107, 70114, 70169, 70202, 70206, 70398, 70402, 70403, 70500]
DOC_5_3 = [90001, 90002, 90005, 90007, 90008, 90009, 90010, 90018, 90020, 90022, 90024, 90026]
DOC_5_3 += [90030, 90032, 90033, 90034, 90035, 90039, 90040, 90043, 90044, 90045, 90047, 90048]
DOC_5_3 += [*range(90049, 90054), 90056, 90107, 90992, 90994, 90995, 91000]
IM_PUSH = [90001, 90002, 90005, 90007, 90009, 90010, 90020, 90022, 90024, 90026, 90032, 90033]
IM_PUSH += [90039, 90040, 90045, 90047, 91000]
DOCUMENTED = sorted({*DOC_5_1, *DOC_5_2, *DOC_5_3, *IM_PUSH})

VALIDATION = [90001, 90002, 90005, 90007, 90008, 90010, 90018, 90020, 90022, 90026, 90030]
VALIDATION += [90032, 90033, 90034, 90039, 90040, 90043, 90044, 90056]
VALIDATION += [60002, 60003, 60004, 60005, 60009, 60015, 60017]
CONFIG_AUTH = [90009, 60006, 60010, 60012, 60016, 60020, 60021, 70002, 70003, 70005]
CONFIG_AUTH += [70013, 70014, 70016, 70020, 70403]
UNAVAILABLE = [91000, 90992, 90994, 90995, 70169, 70202, 70500, 60008, 60013, 60014]
THROTTLED = [60007, 60011, 60018, 60019]
# Everything else in the table is in the closed "no task created" list (docs/decisions.md §3).
MAYBE_A_TASK = [*UNAVAILABLE, 90107]


def test_the_no_task_list_is_closed_and_exactly_the_table_minus_maybe_a_task() -> None:
    assert sorted(NO_TASK_CODES) == sorted(set(UPSTREAM_CODES) - set(MAYBE_A_TASK))
    assert {90024, 90045, 90047, *VALIDATION, *CONFIG_AUTH, *THROTTLED} <= NO_TASK_CODES
    assert not {91000, 70500, 60008} & NO_TASK_CODES


@pytest.mark.parametrize("code", DOCUMENTED)
def test_every_documented_code_is_in_the_table(code: int) -> None:
    assert code in UPSTREAM_CODES


@pytest.mark.parametrize("code", VALIDATION)
def test_validation_codes_are_502_never_retried_and_release(code: int) -> None:
    assert outcome_for(code) == UpstreamOutcome(
        http_status=502,
        code="upstream_invalid_request",
        retry="never",
        no_task=True,
        retryable=False,
        summary=outcome_for(code).summary,
    )


@pytest.mark.parametrize("code", CONFIG_AUTH)
def test_config_and_auth_codes_are_502_never_retried_and_release(code: int) -> None:
    outcome = outcome_for(code)
    assert (outcome.http_status, outcome.retry, outcome.no_task, outcome.retryable) == (
        502,
        "never",
        True,
        False,
    )
    assert outcome.code not in ("upstream_invalid_request", "upstream_rejected")


def test_auth_and_config_failures_have_distinct_codes() -> None:
    assert outcome_for(70009).code == outcome_for(70013).code == "upstream_auth_failed"
    assert outcome_for(90009).code == outcome_for(70020).code == "upstream_config_error"
    assert outcome_for(60021).code == "upstream_ip_not_allowed"


@pytest.mark.parametrize("code", UNAVAILABLE)
def test_internal_errors_back_off_and_keep_the_quota(code: int) -> None:
    outcome = outcome_for(code)
    assert (outcome.http_status, outcome.code, outcome.retry, outcome.no_task) == (
        503,
        "upstream_unavailable",
        "backoff",
        False,
    )
    assert outcome.retryable and outcome.retry_after == 1


@pytest.mark.parametrize("code", THROTTLED)
def test_throttling_backs_off_and_releases(code: int) -> None:
    outcome = outcome_for(code)
    assert (outcome.http_status, outcome.code, outcome.retry, outcome.no_task) == (
        503,
        "upstream_throttled",
        "backoff",
        True,
    )


@pytest.mark.parametrize("code", [70001, 70052, 70009])
def test_signature_codes_resign(code: int) -> None:
    outcome = outcome_for(code)
    assert (outcome.http_status, outcome.retry, outcome.no_task) == (502, "resign", True)


def test_expired_sig_that_persists_is_auth_expired() -> None:
    assert outcome_for(70001).code == outcome_for(70052).code == "upstream_auth_expired"


def test_feature_disabled() -> None:
    assert (outcome_for(90045).http_status, outcome_for(90045).code) == (
        502,
        "push_feature_disabled",
    )


def test_daily_quota_is_429_never_retried() -> None:
    outcome = outcome_for(90047)
    assert (outcome.http_status, outcome.code, outcome.retry, outcome.retryable) == (
        429,
        "daily_quota_exhausted",
        "never",
        True,
    )


def test_push_interval_is_429_retried_after_the_interval() -> None:
    outcome = outcome_for(90024)
    assert (outcome.http_status, outcome.code, outcome.retry, outcome.no_task) == (
        429,
        "push_interval",
        "interval",
        True,
    )
    assert outcome.retry_after == 1


def test_auth_lockout_waits_a_minute() -> None:
    outcome = outcome_for(70050)
    assert (outcome.http_status, outcome.retry, outcome.retryable, outcome.retry_after) == (
        503,
        "never",
        True,
        60,
    )


@pytest.mark.parametrize("code", [0, -1, 12345, 99999])
def test_unknown_codes_are_502_never_retried_and_keep_the_quota(code: int) -> None:
    assert outcome_for(code) == UpstreamOutcome(
        http_status=502,
        code="upstream_rejected",
        retry="never",
        no_task=False,
        retryable=False,
        summary="unknown error code",
    )


@pytest.mark.parametrize("code", sorted(UPSTREAM_CODES))
def test_row_invariants(code: int) -> None:
    outcome = UPSTREAM_CODES[code]
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", outcome.code)
    assert outcome.http_status in (429, 502, 503) and outcome.summary
    # A task may exist behind these: an idempotent command may back off; im_push never repeats.
    if not outcome.no_task:
        assert outcome.retry in ("backoff", "never")
        assert code in MAYBE_A_TASK
    if outcome.http_status == 502:
        assert not outcome.retryable

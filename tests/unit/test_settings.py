"""Settings refuse configurations that would leak the UserSig or outlive a Lambda's time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from push_common.errors import ConfigurationError
from push_common.settings import Settings, get_settings, load_settings
from tests.support.env import BASE_ENV


@pytest.mark.parametrize(
    "url",
    [
        "https://adminapisgp.im.qcloud.com",
        "https://proxy.internal.example:8443/tim",
        "http://127.0.0.1:8080",
        "http://127.5.6.7:1",
        "http://localhost:3001",
        "http://[::1]:9000",
    ],
)
def test_base_url_is_https_or_loopback(url: str) -> None:
    assert Settings.from_env({**BASE_ENV, "TIM_BASE_URL": url}).tim_base_url == url


@pytest.mark.parametrize(
    "url",
    [
        "http://adminapisgp.im.qcloud.com",  # the UserSig would travel in clear
        "http://10.0.0.5:8080",
        "ftp://127.0.0.1",
        "https://",
        "127.0.0.1:8080",
    ],
)
def test_any_other_base_url_is_a_clear_configuration_error(url: str) -> None:
    with pytest.raises(ValidationError, match="TIM_BASE_URL must be an https:// URL"):
        Settings.from_env({**BASE_ENV, "TIM_BASE_URL": url})


@pytest.mark.parametrize(
    ("seconds", "ok"), [("3.0", False), ("3.5", True), ("8", True), ("8.5", False)]
)
def test_read_timeout_is_between_tencents_3_s_and_8_s(seconds: str, ok: bool) -> None:
    env = {**BASE_ENV, "UPSTREAM_READ_TIMEOUT_SECONDS": seconds}
    if ok:
        assert Settings.from_env(env).upstream_read_timeout_seconds == float(seconds)
    else:
        with pytest.raises(ValidationError):
            Settings.from_env(env)


ROLE = "arn:aws:iam::123456789012:role/marketing"


def test_quota_budgets_parse_and_normalise_sessions_to_their_role() -> None:
    raw = (
        '{"arn:aws:sts::123456789012:assumed-role/marketing/s1": 40, '
        '"eventbridge:com.example.ops": 10}'
    )
    budgets = load_settings({**BASE_ENV, "QUOTA_BUDGETS": raw}).budget_shares
    assert budgets == {ROLE: 40, "eventbridge:com.example.ops": 10}


def test_settings_with_budgets_stay_hashable() -> None:
    # Functions cache per Settings (e.g. the Scheduler target): a dict field would break them.
    env = {**BASE_ENV, "QUOTA_BUDGETS": f'{{"{ROLE}": 5}}'}
    assert hash(load_settings(env)) == hash(load_settings(env))


def test_empty_quota_budgets_mean_one_shared_pool() -> None:
    assert load_settings({**BASE_ENV, "QUOTA_BUDGETS": ""}).budget_shares == {}
    assert load_settings(BASE_ENV).budget_shares == {}


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("not json", "must be a JSON object"),
        ("[40]", "must be a JSON object"),
        (f'{{"{ROLE}": 0}}', "must be a positive integer, got 0"),
        (f'{{"{ROLE}": -3}}', "must be a positive integer, got -3"),
        (f'{{"{ROLE}": 4.0}}', "must be a positive integer, got 4.0"),
        (f'{{"{ROLE}": "4"}}', "must be a positive integer, got '4'"),
        (f'{{"{ROLE}": true}}', "must be a positive integer, got True"),
        ('{"shared": 3}', "'shared' is not a caller name"),
        ('{"": 3}', "'' is not a caller name"),
        (
            f'{{"{ROLE}": 3, "arn:aws:iam::123456789012:role/teams/marketing": 2}}',
            "name the same caller",
        ),
        (f'{{"{ROLE}": 60, "eventbridge:x": 41}}', "reserve 101 pushes a day, more than"),
    ],
)
def test_budgets_that_cannot_hold_are_a_configuration_error(raw: str, why: str) -> None:
    with pytest.raises(ConfigurationError) as refused:
        load_settings({**BASE_ENV, "QUOTA_BUDGETS": raw})
    assert refused.value.code == "configuration_error"
    assert refused.value.status == 500
    assert "QUOTA_BUDGETS" in refused.value.detail
    assert why in refused.value.detail


def test_budgets_may_reserve_the_whole_limit() -> None:
    env = {**BASE_ENV, "PUSH_DAILY_LIMIT": "50", "QUOTA_BUDGETS": f'{{"{ROLE}": 50}}'}
    assert load_settings(env).budget_shares == {ROLE: 50}


def test_a_configuration_error_names_every_variable_and_is_raised_on_every_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from push_common import caches

    for name, value in {**BASE_ENV, "PUSH_DAILY_LIMIT": "zero", "QUOTA_BUDGETS": "{"}.items():
        monkeypatch.setenv(name, value)
    caches.clear_all()
    for _ in range(2):  # not cached: a fixed environment is read again on the next request
        with pytest.raises(ConfigurationError) as refused:
            get_settings()
        assert "PUSH_DAILY_LIMIT" in refused.value.detail
        assert "QUOTA_BUDGETS" in refused.value.detail
    caches.clear_all()

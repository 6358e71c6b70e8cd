"""Settings refuse configurations that would leak the UserSig or outlive a Lambda's time."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from push_common.settings import Settings
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

"""Regional hosts (docs/upstream.md §1.2) and the TIM_BASE_URL override."""

from __future__ import annotations

from typing import get_args

import pytest

from push_common.regions import REGION_HOSTS, base_url
from push_common.settings import Region, Settings

BASE = {"tim_secret_id": "s", "quota_table": "q", "idempotency_table": "i"}


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("china", "console.tim.qq.com"),
        ("singapore", "adminapisgp.im.qcloud.com"),
        ("seoul", "adminapikr.im.qcloud.com"),
        ("tokyo", "adminapijpn.im.qcloud.com"),
        ("frankfurt", "adminapiger.im.qcloud.com"),
        ("mumbai", "adminapiind.im.qcloud.com"),
        ("silicon-valley", "adminapiusa.im.qcloud.com"),
        ("jakarta", "adminapiidn.im.qcloud.com"),
        ("riyadh", "adminapiksa.im.qcloud.com"),
    ],
)
def test_primary_host_per_region(region: str, host: str) -> None:
    settings = Settings.model_validate({**BASE, "tim_region": region})
    assert base_url(settings) == f"https://{host}"


def test_every_configurable_region_has_a_host() -> None:
    assert set(REGION_HOSTS) == set(get_args(Region))


@pytest.mark.parametrize(
    "override", ["http://127.0.0.1:8081", "http://127.0.0.1:8081/", "http://127.0.0.1:8081//"]
)
def test_base_url_override_wins_without_trailing_slash(override: str) -> None:
    settings = Settings.model_validate({**BASE, "tim_region": "china", "tim_base_url": override})
    assert base_url(settings) == "http://127.0.0.1:8081"


def test_empty_override_means_regional_host() -> None:
    settings = Settings.model_validate({**BASE, "tim_region": "seoul", "tim_base_url": ""})
    assert base_url(settings) == "https://adminapikr.im.qcloud.com"

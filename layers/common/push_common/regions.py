"""Tencent IM REST hosts per region (docs/upstream.md §1.2) and the base URL the client calls."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from push_common.settings import Region, Settings

REGION_HOSTS: Mapping[Region, str] = MappingProxyType(
    {
        "china": "console.tim.qq.com",
        "singapore": "adminapisgp.im.qcloud.com",
        "seoul": "adminapikr.im.qcloud.com",
        "tokyo": "adminapijpn.im.qcloud.com",
        "frankfurt": "adminapiger.im.qcloud.com",
        "mumbai": "adminapiind.im.qcloud.com",
        "silicon-valley": "adminapiusa.im.qcloud.com",
        "jakarta": "adminapiidn.im.qcloud.com",
        "riyadh": "adminapiksa.im.qcloud.com",
    }
)


def base_url(settings: Settings) -> str:
    """`TIM_BASE_URL` (trailing slashes stripped) when set, else `https://<regional host>`."""
    if settings.tim_base_url:
        return settings.tim_base_url.rstrip("/")
    return f"https://{REGION_HOSTS[settings.tim_region]}"

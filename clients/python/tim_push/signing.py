"""SigV4 for API Gateway (service `execute-api`) with botocore's standard credential chain."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError

from tim_push.errors import ConfigurationError

SERVICE = "execute-api"
# The local stack's region (`make run`), used for loopback endpoints when nothing else says.
LOCAL_DEFAULT_REGION = "ap-southeast-1"
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


class Signer:
    """Signs requests; credentials come from botocore's chain (env, profile, SSO, role)."""

    def __init__(
        self,
        endpoint: str,
        *,
        region: str | None = None,
        profile: str | None = None,
        credentials: Credentials | None = None,
    ) -> None:
        try:
            session = botocore.session.Session(profile=profile)
            found = credentials or session.get_credentials()
            self.region = region or _region_for(endpoint, session)
        except BotoCoreError as exc:  # e.g. an unknown profile name
            raise ConfigurationError(f"cannot load the AWS configuration: {exc}") from exc
        if found is None:
            raise ConfigurationError(
                "no AWS credentials found (environment, shared config/profile, SSO or instance "
                "role); for the local stack see the README's SigV4 section"
            )
        self._credentials: Credentials = found

    def sign(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> dict[str, str]:
        """Headers to send: `headers` plus X-Amz-Date, Authorization (and the session token)."""
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers))
        # Frozen per request: refreshable (role) credentials may rotate between two requests.
        try:
            frozen = self._credentials.get_frozen_credentials()
        except BotoCoreError as exc:  # e.g. an expired SSO session that cannot refresh
            raise ConfigurationError(f"cannot refresh the AWS credentials: {exc}") from exc
        SigV4Auth(frozen, SERVICE, self.region).add_auth(request)
        return {str(k): str(v) for k, v in request.headers.items()}


def _region_for(endpoint: str, session: botocore.session.Session) -> str:
    host = urlsplit(endpoint).hostname or ""
    if match := _EXECUTE_API_HOST.search(host):
        return match.group(1)
    configured = session.get_config_variable("region") or os.environ.get("AWS_REGION")
    if configured:
        return str(configured)
    if _is_loopback(host):
        return LOCAL_DEFAULT_REGION
    raise ConfigurationError(
        f"cannot tell the API's region from {host!r}: "
        "pass region= (CLI: --region) or set AWS_REGION"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

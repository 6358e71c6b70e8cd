"""Fault-injection fixtures: the Tencent sandbox, moto server behind the faulty AWS proxy.

The handlers run in this process with their production wiring; only endpoints differ:
TIM_BASE_URL → the sandbox, AWS_ENDPOINT_URL_* → the proxy → moto. botocore's standard retry
mode is kept (so throttles really are retried by the SDK) with its back-off sleep set to zero.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.retries import standard

from devstack.aws import MotoServer, create_table
from devstack.faulty_aws import FaultyAws
from devstack.sandbox import UpstreamSandbox
from devstack.template import load_template, tables
from push_common import caches
from push_common.observability import logger as gateway_logger
from tests.proofs.faults.harness import Gateway

KEY = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"
ROTATED_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
SECRET_ID = "tim-push-gateway/admin"
ADMIN = {"sdkappid": 1400000000, "identifier": "administrator", "key": KEY}
BUS = "tim-push-gateway-faults"
INTERVAL_MS = 200


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = MotoServer()
    yield server.start()
    server.stop()


@pytest.fixture(scope="session")
def aws_proxy(moto_url: str) -> Iterator[FaultyAws]:
    proxy = FaultyAws(moto_url).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def sandbox() -> Iterator[UpstreamSandbox]:
    with UpstreamSandbox(key=KEY, min_interval_ms=INTERVAL_MS) as running:
        yield running


def moto(service: str, url: str) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=url,
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def provision(url: str) -> None:
    """Fresh moto state: the two tables, the admin secret and the event bus."""
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    ddb = moto("dynamodb", url)
    specs = tables(load_template())
    for table, logical_id in (("push-quota", "QuotaTable"), ("push-records", "PushesTable")):
        create_table(ddb, table, specs[logical_id])
    moto("secretsmanager", url).create_secret(Name=SECRET_ID, SecretString=json.dumps(ADMIN))
    moto("events", url).create_event_bus(Name=BUS)


@pytest.fixture(autouse=True)
def fault_env(
    monkeypatch: pytest.MonkeyPatch,
    moto_url: str,
    aws_proxy: FaultyAws,
    sandbox: UpstreamSandbox,
) -> Iterator[None]:
    provision(moto_url)
    aws_proxy.clear()
    sandbox.reset()
    sandbox.core.app = sandbox.core.app.__class__(1400000000, "administrator", KEY)
    for var in ("DYNAMODB", "SECRETS_MANAGER", "EVENTBRIDGE"):
        monkeypatch.setenv(f"AWS_ENDPOINT_URL_{var}", aws_proxy.url)
    monkeypatch.setenv("TIM_BASE_URL", sandbox.url)
    monkeypatch.setenv("PUSH_MIN_INTERVAL_MS", str(INTERVAL_MS))
    monkeypatch.setenv("EVENT_BUS_NAME", BUS)
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.0)
    level = gateway_logger.log_level
    gateway_logger.setLevel(logging.DEBUG)  # the per-attempt line carries the (redacted) URL
    caches.clear_all()
    yield
    gateway_logger.setLevel(level)
    caches.clear_all()


@pytest.fixture
def gateway(sandbox: UpstreamSandbox, aws_proxy: FaultyAws) -> Gateway:
    return Gateway(sandbox, aws_proxy)


class LogRecords(logging.Handler):
    """The gateway's log records of one test, as the JSON objects Powertools writes."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))

    def messages(self, message: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("message") == message]


@pytest.fixture
def gateway_logs() -> Iterator[LogRecords]:
    handler = LogRecords()
    handler.setFormatter(gateway_logger.registered_formatter)
    target = logging.getLogger(gateway_logger.name)
    target.addHandler(handler)
    yield handler
    target.removeHandler(handler)

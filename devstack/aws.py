"""moto server on loopback and the AWS resources the functions need, created from the template."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import urllib.request
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devstack.config import ACCOUNT_ID
from devstack.template import TableSpec

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
ENDPOINT_VARS = {
    "dynamodb": "AWS_ENDPOINT_URL_DYNAMODB",
    "secretsmanager": "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "events": "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "sqs": "AWS_ENDPOINT_URL_SQS",
    "scheduler": "AWS_ENDPOINT_URL_SCHEDULER",
}
CAPTURE_QUEUE = "tim-push-gateway-local-capture"


class MotoServer:
    """moto's threaded server on 127.0.0.1, on a port the OS picks."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer  # heavy import, only when a stack starts

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.url = ""

    def start(self) -> str:
        """Serve in a daemon thread; returns the endpoint URL."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        # moto's state is per process: forget what an earlier stack in this process created.
        reset = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(reset, timeout=5).close()
        return self.url

    def stop(self) -> None:
        self._server.stop()


def endpoint_env(moto_url: str, dynamodb_url: str, region: str) -> dict[str, str]:
    """Environment that routes every boto3 client of a function to the emulators."""
    env = dict.fromkeys(ENDPOINT_VARS.values(), moto_url)
    env[ENDPOINT_VARS["dynamodb"]] = dynamodb_url
    return {**env, **DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}


def client(service: str, env: Mapping[str, str]) -> Any:
    """A boto3 client for `service` configured from `env` (not from the process environment)."""
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=env[ENDPOINT_VARS[service]],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def create_table(ddb: Any, name: str, spec: TableSpec) -> None:
    """One on-demand table with the template's key schema, indexes and TTL attribute."""
    extra: dict[str, Any] = {}
    if spec.global_indexes:
        extra["GlobalSecondaryIndexes"] = spec.global_indexes
    ddb.create_table(
        TableName=name,
        KeySchema=spec.key_schema,
        AttributeDefinitions=spec.attribute_definitions,
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )
    if spec.ttl_attribute is None:
        return
    # dynalite has no TTL API; expiry never matters within one local session.
    with contextlib.suppress(ClientError):
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"AttributeName": spec.ttl_attribute, "Enabled": True},
        )


def create_secret(secrets: Any, name: str, value: Mapping[str, Any]) -> None:
    """The admin secret, stored as JSON the way the deployed stack expects it."""
    secrets.create_secret(Name=name, SecretString=json.dumps(dict(value)))


class EventCapture:
    """A catch-all rule on the bus feeding an SQS queue; remembers everything it drained."""

    def __init__(self, env: Mapping[str, str], bus_name: str) -> None:
        self._sqs = client("sqs", env)
        self._lock = threading.Lock()
        self._seen: list[dict[str, Any]] = []
        events = client("events", env)
        events.create_event_bus(Name=bus_name)
        self._queue_url = self._sqs.create_queue(QueueName=CAPTURE_QUEUE)["QueueUrl"]
        queue_arn = f"arn:aws:sqs:{env['AWS_DEFAULT_REGION']}:{ACCOUNT_ID}:{CAPTURE_QUEUE}"
        events.put_rule(
            Name="local-capture-all",
            EventBusName=bus_name,
            EventPattern=json.dumps({"source": [{"prefix": ""}]}),
        )
        events.put_targets(
            Rule="local-capture-all",
            EventBusName=bus_name,
            Targets=[{"Id": "capture", "Arn": queue_arn}],
        )

    def events(self) -> list[dict[str, Any]]:
        """Every event published to the bus so far, oldest first."""
        with self._lock:
            while batch := self._receive():
                self._seen.extend(batch)
            return list(self._seen)

    def _receive(self) -> list[dict[str, Any]]:
        reply = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        messages = reply.get("Messages", [])
        for message in messages:
            self._sqs.delete_message(
                QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
        return [json.loads(m["Body"]) for m in messages]

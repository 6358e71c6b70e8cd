"""The stand-ins behind the functions: DynamoDB, moto, the upstream sandbox, and local resources."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from devstack import aws
from devstack.config import ACCOUNT_ID, StackConfig
from devstack.dynalite import Dynalite, unavailable_reason
from devstack.lambda_env import LocalNames
from devstack.template import parameter_defaults, resources_of_type, tables

SECRET_NAME = "tim-push-gateway/admin"
BUS_NAME = "tim-push-gateway-bus"
MOTO_CAVEAT = "moto does not serialise conditional writes under concurrency"


class Backends:
    """Starts, provisions and stops every emulator; `names` and `aws_env` wire functions to them."""

    def __init__(self, config: StackConfig, template: dict[str, Any], say: Callable[[str], None]):
        self._config = config
        self._template = template
        self._say = say
        self._stack = contextlib.ExitStack()
        self.dynamodb_standin = "moto"
        self.aws_env: dict[str, str] = {}
        self.sandbox_url: str | None = None
        self.capture: aws.EventCapture | None = None
        self.names = LocalNames(
            refs={}, secret_name=SECRET_NAME, bus_name=BUS_NAME, tim_base_url=""
        )

    def start(self) -> None:
        """Everything up and provisioned, or everything stopped again on failure."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self._stack.close()

    def _start(self) -> None:
        dynalite = self._launch_dynalite()
        moto = aws.MotoServer()
        moto_url = moto.start()
        self._stack.callback(moto.stop)
        dynamodb_url = dynalite.wait_ready() if dynalite is not None else moto_url
        self.aws_env = aws.endpoint_env(moto_url, dynamodb_url, self._config.region)
        self._say(f"aws emulator: moto on {moto_url} (Secrets Manager, EventBridge, SQS)")
        refs = self._provision()
        base_url = self._config.tim_base_url or self._start_sandbox()
        if self._config.tim_base_url:
            self._say(f"upstream: {base_url} (TIM_BASE_URL; no sandbox started)")
        self.names = LocalNames(refs, SECRET_NAME, BUS_NAME, base_url, self._arns())

    def _launch_dynalite(self) -> Dynalite | None:
        reason = "LOCAL_DYNAMODB=moto" if self._config.dynamodb == "moto" else unavailable_reason()
        if reason is not None:
            self._say(f"dynamodb stand-in: moto ({reason}; {MOTO_CAVEAT})")
            return None
        dynalite = Dynalite()
        dynalite.launch()
        self._stack.callback(dynalite.stop)
        self.dynamodb_standin = "dynalite"
        self._say("dynamodb stand-in: dynalite (serialised conditional writes)")
        return dynalite

    def _provision(self) -> dict[str, str]:
        defaults = parameter_defaults(self._template)
        refs = {k: str(v) for k, v in defaults.items() if isinstance(v, str | int | float)}
        refs.update({"AWS::Region": self._config.region, "AWS::AccountId": ACCOUNT_ID})
        ddb = aws.client("dynamodb", self.aws_env)
        for logical_id, spec in tables(self._template).items():
            aws.create_table(ddb, logical_id, spec)
            refs[logical_id] = logical_id
        sqs = aws.client("sqs", self.aws_env)
        for logical_id in resources_of_type(self._template, "AWS::SQS::Queue"):
            refs[logical_id] = sqs.create_queue(QueueName=logical_id)["QueueUrl"]
        for logical_id in resources_of_type(self._template, "AWS::Events::EventBus"):
            refs[logical_id] = BUS_NAME
        scheduler = aws.client("scheduler", self.aws_env)
        for logical_id in resources_of_type(self._template, "AWS::Scheduler::ScheduleGroup"):
            scheduler.create_schedule_group(Name=logical_id)
            refs[logical_id] = logical_id
        secret = {"sdkappid": self._config.sdkappid, "identifier": self._config.identifier}
        aws.create_secret(
            aws.client("secretsmanager", self.aws_env),
            SECRET_NAME,
            {**secret, "key": self._config.key},
        )
        self.capture = aws.EventCapture(self.aws_env, BUS_NAME)
        return refs

    def _arns(self) -> dict[str, str]:
        """`!GetAtt X.Arn` locally: functions by logical id (what the local scheduler invokes),
        roles and queues as their ARNs would read in this account."""
        region, out = self._config.region, {}
        kinds = {
            "AWS::Serverless::Function": f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:",
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT_ID}:role/",
            "AWS::SQS::Queue": f"arn:aws:sqs:{region}:{ACCOUNT_ID}:",
        }
        for type_name, prefix in kinds.items():
            for logical_id in resources_of_type(self._template, type_name):
                out[logical_id] = prefix + logical_id
        return out

    def _start_sandbox(self) -> str:
        from devstack.sandbox import UpstreamSandbox

        config = self._config
        sandbox = UpstreamSandbox(
            sdkappid=config.sdkappid,
            identifier=config.identifier,
            key=config.key,
            daily_limit=config.sandbox_daily_limit,
            min_interval_ms=config.sandbox_min_interval_ms,
            timezone=config.timezone,
            dedup_window_seconds=config.sandbox_dedup_window_seconds,
        ).start()
        self._stack.callback(sandbox.stop)
        self.sandbox_url = sandbox.url
        self._say(f"upstream sandbox: {sandbox.url}")
        return sandbox.url

"""A stand-in Lambda for the adapter tests: echoes what it received, records EventBridge events."""

from __future__ import annotations

import json
import os
import time
from typing import Any

SHOWN_ENV = (
    "TABLE",
    "QUEUE",
    "TIM_SECRET_ID",
    "TIM_REGION",
    "TIM_BASE_URL",
    "TIM_KEY",
    "EVENT_BUS_NAME",
    "PUSH_DAILY_LIMIT",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_EVENTBRIDGE",
    "AWS_ENDPOINT_URL_SQS",
)


def lambda_handler(event: dict[str, Any], context: Any) -> Any:
    """HTTP: echo event, env and context. EventBridge: append the event to $ECHO_LOG."""
    if "detail-type" in event:
        with open(os.environ["ECHO_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(event) + "\n")
        if event["detail"].get("fail"):
            raise RuntimeError("asked to fail")
        return None
    path = event["rawPath"]
    if path == "/slow":
        time.sleep(float(event.get("queryStringParameters", {}).get("s", "0")))
        return {"statusCode": 204}
    if path == "/echo/crash":
        raise ValueError("crashed on purpose")
    if path == "/echo/plain":
        return {"plain": True}
    if path == "/echo/binary":
        return {"statusCode": 201, "body": "/w==", "isBase64Encoded": True}
    body = {
        "event": event,
        "env": {name: os.environ.get(name) for name in SHOWN_ENV},
        "context": {
            "function_name": context.function_name,
            "memory_limit_in_mb": context.memory_limit_in_mb,
            "invoked_function_arn": context.invoked_function_arn,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "pid": os.getpid(),
        },
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "x-echo": "yes"},
        "cookies": ["flavour=oat; Path=/"],
        "body": json.dumps(body),
    }

"""The local stack: HTTP API v2 adapter, Lambda-like workers, `/_local/events`, `make run`.

Adapter tests run a tiny echo function (local_echo.py) from a template of their own through an
in-process LocalStack; the end-to-end tests run the real template as a subprocess.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from devstack.config import DEV_KEY
from devstack.dynalite import unavailable_reason
from devstack.stack import LocalStack
from tests.support.stack_client import ROOT, StackFactory, StackProcess, request, stack_env

pytestmark = pytest.mark.integration

ECHO_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Parameters:
  Limit: {Type: Number, Default: 100}
Globals:
  Function:
    Timeout: 7
    MemorySize: 256
    Environment:
      Variables: {ECHO_LOG: "%(log)s", TIM_SECRET_ID: !Ref Missing}
Resources:
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tests/local_stack/
      Handler: local_echo.lambda_handler
      Environment:
        Variables:
          TABLE: !Ref EchoTable
          QUEUE: !Ref EchoQueue
          EVENT_BUS_NAME: !If [Never, !Ref Bus, x]
          PUSH_DAILY_LIMIT: !Ref Limit
      Events:
        Named: {Type: HttpApi, Properties: {Method: POST, Path: "/echo/{name}"}}
        Listed: {Type: HttpApi, Properties: {Method: GET, Path: /echo}}
        Crash: {Type: HttpApi, Properties: {Method: GET, Path: /echo/crash}}
        Plain: {Type: HttpApi, Properties: {Method: GET, Path: /echo/plain}}
        Binary: {Type: HttpApi, Properties: {Method: GET, Path: /echo/binary}}
        Asked:
          Type: EventBridgeRule
          Properties:
            Pattern: {detail-type: [Echo Requested], source: [{prefix: "test."}]}
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tests/local_stack/
      Handler: local_echo.lambda_handler
      Timeout: 1
      Events:
        Slow: {Type: HttpApi, Properties: {Method: GET, Path: /slow}}
  EchoTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  EchoQueue: {Type: AWS::SQS::Queue}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: x}}
"""
UPSTREAM = "http://127.0.0.1:9"
CALLER = "arn:aws:iam::111122223333:role/pusher"


@pytest.fixture(scope="module")
def echo_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("echo") / "events.jsonl"


@pytest.fixture(scope="module")
def echo_stack(echo_log: Path) -> Iterator[LocalStack]:
    template = echo_log.with_name("template.yaml")
    template.write_text(ECHO_TEMPLATE % {"log": echo_log}, encoding="utf-8")
    overrides = {"TIM_BASE_URL": UPSTREAM, "PUSH_DAILY_LIMIT": "7", "LOCAL_CONCURRENCY": "2"}
    with LocalStack(port=0, env_overrides=overrides, template_path=template) as stack:
        yield stack


def echo(stack: LocalStack, path: str, **kwargs: Any) -> dict[str, Any]:
    reply = request("POST", f"{stack.url}{path}", **kwargs)
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def put_events(url: str, *entries: dict[str, Any]) -> dict[str, Any]:
    reply = request("POST", f"{url}/_local/events", {"Entries": list(entries)})
    assert reply.status == 200, reply.body
    body: dict[str, Any] = reply.json()
    return body


def entry(detail_type: str, detail: dict[str, Any], source: str = "test.suite") -> dict[str, Any]:
    return {"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}


# --- API Gateway HTTP API v2 event -----------------------------------------------------------


def test_request_becomes_a_v2_event(echo_stack: LocalStack) -> None:
    # Given a request with a query, repeated headers, a cookie and a JSON body
    headers = {"X-Trace": "abc", "Cookie": "a=1; b=2"}
    url = "/echo/alice?tag=a&tag=b&empty="
    # When it reaches the function
    event = echo(echo_stack, url, body={"k": "v"}, headers=headers)["event"]
    # Then the event is what API Gateway's payload format 2.0 would hold
    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /echo/{name}"
    assert event["rawPath"] == "/echo/alice"
    assert event["rawQueryString"] == "tag=a&tag=b&empty="
    assert event["queryStringParameters"] == {"tag": "a,b", "empty": ""}
    assert event["pathParameters"] == {"name": "alice"}
    assert event["cookies"] == ["a=1", "b=2"]
    assert event["headers"]["x-trace"] == "abc"
    assert event["headers"]["content-type"] == "application/json"
    assert json.loads(event["body"]) == {"k": "v"}
    assert event["isBase64Encoded"] is False


def test_request_context_carries_route_and_default_iam_identity(echo_stack: LocalStack) -> None:
    context = echo(echo_stack, "/echo/bob", body="{}")["event"]["requestContext"]
    assert context["routeKey"] == "POST /echo/{name}"
    assert context["stage"] == "$default"
    assert context["http"]["method"] == "POST"
    assert context["http"]["path"] == "/echo/bob"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert isinstance(context["timeEpoch"], int)
    iam = context["authorizer"]["iam"]
    assert iam["userArn"] == "arn:aws:iam::000000000000:user/local-developer"
    assert iam["accountId"] == "000000000000"
    assert iam["cognitoIdentity"] is None


def test_caller_header_sets_the_iam_identity(echo_stack: LocalStack) -> None:
    event = echo(echo_stack, "/echo/c", body="{}", headers={"X-Local-Caller-Arn": CALLER})["event"]
    iam = event["requestContext"]["authorizer"]["iam"]
    assert (iam["userArn"], iam["accountId"]) == (CALLER, "111122223333")


def test_non_utf8_body_arrives_base64_encoded(echo_stack: LocalStack) -> None:
    raw = b"\xff\xfe not utf-8 \x80"
    event = echo(echo_stack, "/echo/bin", body=raw)["event"]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == raw


# --- function result -> HTTP response ----------------------------------------------------------


def test_result_headers_and_cookies_reach_the_client(echo_stack: LocalStack) -> None:
    reply = request("POST", f"{echo_stack.url}/echo/x", body="{}")
    assert reply.headers["x-echo"] == "yes"
    assert reply.headers["set-cookie"] == "flavour=oat; Path=/"


def test_base64_result_is_decoded(echo_stack: LocalStack) -> None:
    reply = request("GET", f"{echo_stack.url}/echo/binary")
    assert (reply.status, reply.body) == (201, b"\xff")


def test_plain_result_becomes_200_json(echo_stack: LocalStack) -> None:
    reply = request("GET", f"{echo_stack.url}/echo/plain")
    assert (reply.status, reply.json()) == (200, {"plain": True})


def test_handler_exception_is_500_like_api_gateway(echo_stack: LocalStack) -> None:
    reply = request("GET", f"{echo_stack.url}/echo/crash")
    assert (reply.status, reply.json()) == (500, {"message": "Internal Server Error"})


def test_unknown_route_is_404_problem(echo_stack: LocalStack) -> None:
    reply = request("GET", f"{echo_stack.url}/nowhere")
    assert reply.status == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["code"] == "route_not_found"


def test_method_mismatch_is_405_with_allow(echo_stack: LocalStack) -> None:
    reply = request("DELETE", f"{echo_stack.url}/echo/alice")
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    assert reply.json()["code"] == "method_not_allowed"


def test_overrunning_the_timeout_kills_the_worker(echo_stack: LocalStack) -> None:
    # Given a warm worker of a function with Timeout: 1
    assert request("GET", f"{echo_stack.url}/slow?s=0").status == 204
    # When an invocation runs past the timeout, it fails fast as on Lambda
    started = time.monotonic()
    reply = request("GET", f"{echo_stack.url}/slow?s=5")
    assert (reply.status, reply.json()) == (500, {"message": "Internal Server Error"})
    assert time.monotonic() - started < 4
    # Then a fresh worker serves the next invocation
    assert request("GET", f"{echo_stack.url}/slow?s=0").status == 204


# --- worker environment and context ------------------------------------------------------------


def test_worker_env_is_resolved_for_local_use(echo_stack: LocalStack) -> None:
    env = echo(echo_stack, "/echo/env", body="{}")["env"]
    assert env["TABLE"] == "EchoTable"
    assert env["QUEUE"].endswith("/EchoQueue")
    assert env["TIM_SECRET_ID"] == "tim-push-gateway/admin"
    assert (env["TIM_REGION"], env["TIM_BASE_URL"]) == ("singapore", UPSTREAM)
    assert env["EVENT_BUS_NAME"] == "tim-push-gateway-bus"
    assert env["PUSH_DAILY_LIMIT"] == "7"  # the developer's override beats the template
    assert env["TIM_KEY"] is None  # the admin key reaches functions only via the secret


def test_worker_env_routes_aws_clients_to_the_emulators(echo_stack: LocalStack) -> None:
    env = echo(echo_stack, "/echo/env", body="{}")["env"]
    assert env["AWS_ENDPOINT_URL_SECRETS_MANAGER"] == echo_stack.aws_endpoint
    assert env["AWS_ENDPOINT_URL_EVENTBRIDGE"] == echo_stack.aws_endpoint
    assert env["AWS_ENDPOINT_URL_SQS"] == echo_stack.aws_endpoint
    assert env["AWS_ENDPOINT_URL_DYNAMODB"].startswith("http://127.0.0.1:")


def test_context_follows_the_template(echo_stack: LocalStack) -> None:
    context = echo(echo_stack, "/echo/ctx", body="{}")["context"]
    assert context["function_name"] == "EchoFunction"
    assert context["memory_limit_in_mb"] == 256
    assert context["invoked_function_arn"].endswith(":function:EchoFunction")
    assert 0 < context["remaining_ms"] <= 7000
    assert context["pid"] != os.getpid()  # ran in a worker process


def test_tables_are_created_from_the_template(echo_stack: LocalStack) -> None:
    env = echo(echo_stack, "/echo/env", body="{}")["env"]
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=env["AWS_ENDPOINT_URL_DYNAMODB"],
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = ddb.describe_table(TableName="EchoTable")["Table"]
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]


# --- /_local/events ----------------------------------------------------------------------------


def _delivered(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_local_events_delivers_a_matching_event(echo_stack: LocalStack, echo_log: Path) -> None:
    # When one entry matches the function's rule and one does not
    answer = put_events(
        echo_stack.url, entry("Echo Requested", {"n": 1}), entry("Something Else", {"n": 2})
    )
    # Then both are accepted, and only the matching one reached the function, as a real event
    assert answer["FailedEntryCount"] == 0
    ids = [e["EventId"] for e in answer["Entries"]]
    delivered = [e for e in _delivered(echo_log) if e["id"] in ids]
    assert len(delivered) == 1
    event = delivered[0]
    assert (event["id"], event["detail"]) == (ids[0], {"n": 1})
    assert (event["version"], event["detail-type"], event["source"]) == (
        "0",
        "Echo Requested",
        "test.suite",
    )
    assert (event["region"], event["resources"]) == ("ap-southeast-1", [])


def test_local_events_pattern_checks_source(echo_stack: LocalStack, echo_log: Path) -> None:
    answer = put_events(echo_stack.url, entry("Echo Requested", {}, source="prod.other"))
    event_id = answer["Entries"][0]["EventId"]
    assert all(e["id"] != event_id for e in _delivered(echo_log))


def test_local_events_rejects_invalid_entries(echo_stack: LocalStack) -> None:
    answer = put_events(
        echo_stack.url,
        {"DetailType": "Echo Requested", "Detail": "{}"},
        {"Source": "test.suite", "DetailType": "Echo Requested", "Detail": "not json"},
        entry("Echo Requested", {"ok": True}),
    )
    assert answer["FailedEntryCount"] == 2
    first, second, third = answer["Entries"]
    assert first["ErrorCode"] == "InvalidArgument"
    assert "Source" in first["ErrorMessage"]
    assert second["ErrorCode"] == "MalformedDetail"
    assert "EventId" in third


def test_local_events_reports_a_failed_delivery(echo_stack: LocalStack) -> None:
    answer = put_events(echo_stack.url, entry("Echo Requested", {"fail": True}))
    assert answer["FailedEntryCount"] == 0  # PutEvents itself succeeded, as on AWS
    error = answer["Entries"][0]["DeliveryError"]
    assert error == {
        "function": "EchoFunction",
        "errorType": "RuntimeError",
        "errorMessage": "asked to fail",
    }


@pytest.mark.parametrize("body", [b"nope", b"[]", b'{"Entries": []}', b'{"Entries": {}}'])
def test_local_events_refuses_a_malformed_body(echo_stack: LocalStack, body: bytes) -> None:
    reply = request("POST", f"{echo_stack.url}/_local/events", body)
    assert reply.status == 400
    assert reply.json()["code"] == "invalid_body"


def test_local_events_lists_what_was_published(echo_stack: LocalStack) -> None:
    # Given a function-style PutEvents call on the stack's bus
    events = boto3.client(
        "events",
        endpoint_url=echo_stack.aws_endpoint,
        region_name="ap-southeast-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    detail = {"push_id": "p-1"}
    events.put_events(
        Entries=[
            {
                "Source": "tim-push-gateway",
                "DetailType": "Push Sent",
                "Detail": json.dumps(detail),
                "EventBusName": "tim-push-gateway-bus",
            }
        ]
    )
    # Then GET /_local/events lists it, and keeps listing it
    for _ in range(2):
        published = request("GET", f"{echo_stack.url}/_local/events").json()["events"]
        assert [e["detail"] for e in published if e["detail-type"] == "Push Sent"] == [detail]


# --- python -m devstack ------------------------------------------------------------------------


def test_stack_prints_ready_line_and_curl_example(local_stack: StackProcess) -> None:
    lines = local_stack.log_text().splitlines()
    ready = lines.index(f"tim-push-gateway local stack ready on {local_stack.url}")
    assert lines[ready + 1].startswith(f"curl -s -X POST {local_stack.url}/v1/pushes ")


def test_stack_names_its_dynamodb_standin(local_stack: StackProcess) -> None:
    expected = "dynalite" if unavailable_reason() is None else "moto"
    assert local_stack.dynamodb_standin == expected


def test_stack_serves_on_loopback_with_a_sandbox(local_stack: StackProcess) -> None:
    assert local_stack.url.startswith("http://127.0.0.1:")
    assert local_stack.sandbox_url is not None
    assert request("GET", f"{local_stack.url}/nowhere").status == 404


def test_push_all_is_accepted(local_stack: StackProcess) -> None:
    body = {"audience": {"all": True}, "message": {"text": "hi"}}
    reply = request("POST", f"{local_stack.url}/v1/pushes", body)
    assert reply.status == 202, reply.body
    assert reply.json()["task_id"].startswith("1400000000_")


def test_quota_is_served(local_stack: StackProcess) -> None:
    reply = request("GET", f"{local_stack.url}/v1/quota")
    assert reply.status == 200, reply.body
    assert reply.json()["limit"] == 100


def test_push_requested_event_is_delivered_and_its_outcome_listed(
    local_stack: StackProcess,
) -> None:
    # When a "Push Requested" event is put through the local bus
    detail = {"audience": {"all": True}, "message": {"text": "from events"}}
    answer = put_events(local_stack.url, entry("Push Requested", detail, source="orders"))
    # Then PushEventFunction handled it and published "Push Sent" for that event
    assert answer["FailedEntryCount"] == 0
    event_id = answer["Entries"][0]["EventId"]
    assert "DeliveryError" not in answer["Entries"][0]
    published = request("GET", f"{local_stack.url}/_local/events").json()["events"]
    sent = [e for e in published if e["detail"].get("request_event_id") == event_id]
    assert [e["detail-type"] for e in sent] == ["Push Sent"]


def test_stack_logs_hold_no_key_or_usersig(local_stack: StackProcess) -> None:
    body = {"audience": {"all": True}, "message": {"text": "scan me"}}
    assert request("POST", f"{local_stack.url}/v1/pushes", body).status == 202
    log = local_stack.log_text()
    assert DEV_KEY not in log
    usersigs = set(re.findall(r"usersig=([^&\s\"']*)", log, flags=re.IGNORECASE))
    assert usersigs <= {"redacted", "REDACTED", "***"}


def test_moto_standin_and_overrides(stack_factory: StackFactory) -> None:
    # Given a stack forced onto moto with a daily limit of one
    stack = stack_factory(LOCAL_DYNAMODB="moto", PUSH_DAILY_LIMIT="1")
    assert "dynamodb stand-in: moto (LOCAL_DYNAMODB=moto; moto does not" in stack.log_text()
    # When two pushes are sent
    body = {"audience": {"all": True}, "message": {"text": "hi"}}
    first = request("POST", f"{stack.url}/v1/pushes", body)
    second = request("POST", f"{stack.url}/v1/pushes", body)
    # Then the override reached the function: the second is refused
    assert (first.status, second.status) == (202, 429)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def test_sigterm_stops_everything(stack_factory: StackFactory) -> None:
    # Given a running stack with its dynalite child
    stack = stack_factory()
    children = _children(stack.pid)
    assert children, "expected dynalite (and workers) as child processes"
    # When it gets SIGTERM
    assert stack.stop() == 0
    # Then no child outlives it (multiprocessing's resource tracker needs a moment to notice)
    deadline = time.monotonic() + 5
    while (alive := [p for p in children if Path(f"/proc/{p}").exists()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    assert alive == []
    assert stack.log_text().rstrip().endswith("stopping")


# --- python -m devstack.invoke -----------------------------------------------------------------


def test_invoke_runs_one_function_and_prints_its_result(echo_log: Path, tmp_path: Path) -> None:
    # Given the echo template and an HTTP event file
    template = tmp_path / "template.yaml"
    template.write_text(ECHO_TEMPLATE % {"log": echo_log}, encoding="utf-8")
    event = {"rawPath": "/echo/binary", "requestContext": {}}
    event_file = tmp_path / "event.json"
    event_file.write_text(json.dumps(event), encoding="utf-8")
    # When it is invoked like `make invoke`
    command = [sys.executable, "-m", "devstack.invoke", "EchoFunction", str(event_file)]
    done = subprocess.run(
        [*command, "--template", str(template)],
        cwd=ROOT,
        env=stack_env({}),
        capture_output=True,
        timeout=60,
        check=False,
    )
    # Then stdout holds exactly the function's result
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"statusCode": 201, "body": "/w==", "isBase64Encoded": True}


def test_the_stack_refuses_to_start_with_budgets_that_cannot_hold() -> None:
    env = stack_env({"PUSH_DAILY_LIMIT": "10", "QUOTA_BUDGETS": '{"eventbridge:ops": 11}'})
    run = subprocess.run(
        [sys.executable, "-m", "devstack"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 2
    assert "local stack refused to start: invalid configuration: QUOTA_BUDGETS" in run.stderr
    assert "more than PUSH_DAILY_LIMIT (10)" in run.stderr
    assert "ready" not in run.stdout  # nothing was started

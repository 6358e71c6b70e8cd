"""The SDK and the CLI against the real local stack (`python -m devstack`) with real signatures.

The stack verifies SigV4 with its own key pair and maps it to LOCAL_CALLER_ARN; only that
principal may push to everyone here, so a successful broadcast proves whose signature it was.
Skipped when the package is tested outside the repository.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

stack_client = pytest.importorskip("tests.support.stack_client")

from tim_push import Audience, Forbidden, TimPushClient, ValidationFailed  # noqa: E402
from tim_push.cli import main  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KEY_ID, SECRET = "AKIASDKENDTOEND00000", "sdk-end-to-end-secret"
CALLER = "arn:aws:iam::123456789012:role/sdk-e2e"
REGION = "ap-southeast-1"
STACK_ENV = {
    "LOCAL_AWS_ACCESS_KEY_ID": KEY_ID,
    "LOCAL_AWS_SECRET_ACCESS_KEY": SECRET,
    "LOCAL_CALLER_ARN": CALLER,
    "BROADCAST_ALL_PRINCIPALS": CALLER,
    "AWS_DEFAULT_REGION": REGION,
    "PUSH_MIN_INTERVAL_MS": "0",
    "LOCAL_CONCURRENCY": "1",
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("sdk-e2e") / "stack.log"
    process = stack_client.StackProcess(log, dict(STACK_ENV)).start()
    yield process
    process.stop()


@pytest.fixture
def signed_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stack) -> dict[str, str]:
    """The caller's environment: the stack's key pair through the standard credential chain."""
    empty = tmp_path / "no-aws-config"
    empty.write_text("")
    env = {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(empty),
        "AWS_SHARED_CREDENTIALS_FILE": str(empty),
        "AWS_EC2_METADATA_DISABLED": "true",
        "TIM_PUSH_ENDPOINT": stack.url,
    }
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_signed_broadcast_acts_as_the_configured_caller(signed_env, stack) -> None:
    client = TimPushClient()
    answer = client.push(Audience.everyone(), text="SDK says hello", idempotency_key="e2e-all-1")
    assert answer["status"] == "submitted"
    assert answer["task_id"]
    # The same key again is the same push: the gateway replays the answer.
    again = client.push(Audience.everyone(), text="SDK says hello", idempotency_key="e2e-all-1")
    assert again["push_id"] == answer["push_id"]
    assert client.quota()["used"] >= 1


def test_unsigned_requests_still_act_as_the_default_or_chosen_principal(stack) -> None:
    body = {"audience": {"all": True}, "message": {"text": "plain curl"}}
    plain = stack_client.request("POST", f"{stack.url}/v1/pushes", body)
    assert plain.status == 403
    assert plain.json()["code"] == "broadcast_not_allowed"
    chosen = stack_client.request(
        "POST", f"{stack.url}/v1/pushes", body, headers={"X-Local-Caller-Arn": CALLER}
    )
    assert chosen.status == 202, chosen.body


def test_a_signed_request_cannot_pick_another_principal_by_header(stack) -> None:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = f"{stack.url}/v1/pushes"
    body = json.dumps({"audience": {"all": True}, "message": {"text": "x"}, "dry_run": True})
    headers = {"content-type": "application/json", "x-local-caller-arn": "arn:aws:iam::1:user/x"}
    signed = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(KEY_ID, SECRET), "execute-api", REGION).add_auth(signed)
    reply = stack_client.request("POST", url, body, headers=dict(signed.headers.items()))
    assert reply.status == 200, reply.body  # acted as CALLER, who may address everyone
    unsigned = stack_client.request("POST", url, body, headers=headers)
    assert unsigned.status == 403
    assert unsigned.json()["code"] == "broadcast_not_allowed"


def test_a_wrong_secret_is_refused_with_403(signed_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    with pytest.raises(Forbidden) as caught:
        TimPushClient().quota()
    assert caught.value.status == 403
    assert caught.value.code == "invalid_signature"
    assert "not-the-secret" not in str(caught.value)
    code, _, err = cli("quota")
    assert code == 1
    assert "403 invalid_signature" in err


def test_an_unknown_key_is_refused_with_403(signed_env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIANOBODYKNOWSTHIS0")
    with pytest.raises(Forbidden) as caught:
        TimPushClient().user_tags(["alice"])
    assert caught.value.code == "unknown_access_key"


def test_another_region_is_refused_with_403(signed_env) -> None:
    with pytest.raises(Forbidden) as caught:
        TimPushClient(region="us-east-1").attribute_names()
    assert caught.value.code == "invalid_credential_scope"


def test_the_cli_manages_the_audience_and_pushes_to_it(signed_env) -> None:
    assert cli("tags", "add", "alice", "vip", "beta")[0] == 0
    assert cli("tags", "add", "bob", "vip")[0] == 0
    code, out, _ = cli("tags", "get", "alice", "bob")
    assert code == 0
    assert out.splitlines() == ["alice: vip, beta", "bob: vip"]
    assert cli("tags", "remove", "alice", "beta")[0] == 0
    assert cli("tags", "clear", "bob")[0] == 0
    code, out, _ = cli("tags", "get", "alice", "bob", "--json")
    assert json.loads(out) == {"users": {"alice": ["vip"], "bob": []}}

    code, out, err = cli("attrs", "names", "city", "tier")
    assert code == 0, err
    assert cli("attrs", "set", "alice", "city=NY", "tier=gold")[0] == 0
    assert cli("attrs", "remove", "alice", "tier")[0] == 0
    code, out, _ = cli("attrs", "get", "alice")
    assert out.strip() == "alice: city=NY"
    code, out, _ = cli("attrs", "names")
    assert out.split() == ["city", "tier"]

    code, out, err = cli("send", "--tag", "vip", "--text", "VIP sale", "--key", "e2e-vip-1")
    assert code == 0, err
    assert "submitted (task " in out
    code, out, err = cli("send", "--attr", "city=NY", "--text", "NY sale", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["upstream_request"]["Condition"]["AttrsOr"] == {"city": "NY"}
    code, out, _ = cli("quota")
    assert code == 0
    assert out.startswith("quota: ")


def test_the_cli_prints_field_problems_of_a_refusal(signed_env) -> None:
    code, _, err = cli("send", "--tag", "", "--text", "x")
    assert code == 1
    assert "422 validation_failed" in err
    assert "audience.tags.any[0]: " in err
    with pytest.raises(ValidationFailed) as caught:
        TimPushClient().push(Audience.tags(any_of=[""]), text="x")
    assert caught.value.errors[0].field == "audience.tags.any[0]"


def test_the_console_script_signs_too(signed_env) -> None:
    script = Path(sys.executable).with_name("tim-push")
    if not script.exists():
        pytest.skip("tim-push is not installed next to this interpreter")
    done = subprocess.run(
        [str(script), "quota", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **signed_env},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["limit"] == 100


@pytest.fixture(scope="module")
def timpush_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("sdk-e2e-timpush") / "stack.log"
    env = {**STACK_ENV, "TIM_PUSH_API": "timpush"}
    process = stack_client.StackProcess(log, env).start()
    yield process
    process.stop()


def test_test_send_push_report_and_recall_on_the_push_service(
    signed_env: dict[str, str], timpush_stack: Any
) -> None:
    client = TimPushClient(endpoint=timpush_stack.url)
    test = client.push(Audience.accounts(["alice"]), notification={"title": "T", "body": "B"})
    assert test["status"] == "submitted" and "quota" not in test
    sent = client.push(Audience.everyone(), text="Sale", keep_in_history=True)
    report = client.push_report(sent["push_id"])
    assert (report["push_id"], report["task_id"]) == (sent["push_id"], sent["task_id"])
    recalled = client.recall_push(sent["push_id"], title="Sale", body="Cancelled")
    assert (recalled["status"], recalled["upstream_api"]) == ("recalled", "timpush")
    assert client.recall_push(sent["push_id"], title="Sale", body="Cancelled") == recalled


def test_approve_and_reject_with_the_sdk_and_the_cli(
    signed_env, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """APPROVAL_REQUIRED=all: another role asks for a push to everyone; the signed caller (the
    approver) approves or rejects it with `approve_push` / `reject_push` and `tim-push approve` /
    `tim-push reject`; a second approval is refused (exit 1, `not_pending`)."""
    env = {k: v for k, v in STACK_ENV.items() if k != "BROADCAST_ALL_PRINCIPALS"}
    env.update(APPROVAL_REQUIRED="all", APPROVERS=CALLER)
    approvals = stack_client.StackProcess(tmp_path / "stack.log", env).start()
    requester = "arn:aws:iam::123456789012:role/orders"
    try:
        monkeypatch.setenv("TIM_PUSH_ENDPOINT", approvals.url)

        def pending(key: str) -> str:
            reply = stack_client.request(
                "POST",
                f"{approvals.url}/v1/pushes",
                {"audience": {"all": True}, "message": {"text": "needs a second person"}},
                {"x-local-caller-arn": requester, "idempotency-key": key},
            )
            assert reply.json()["status"] == "pending_approval", reply.body
            return str(reply.json()["push_id"])

        client = TimPushClient()
        first = pending("approve-sdk")
        waiting = client.list_pushes(status="pending_approval")["pushes"]
        assert first in {p["push_id"] for p in waiting}
        record = client.approve_push(first)
        assert (record["status"], record["approved_by"], record["caller"]) == (
            "submitted",
            CALLER,
            requester,
        )
        rejected = client.reject_push(pending("reject-sdk"))
        assert (rejected["status"], rejected["rejected_by"]) == ("rejected", CALLER)
        second = pending("approve-cli")
        code, out, err = cli("approve", second)
        assert code == 0, err
        assert "submitted" in out and "approved_by" in out and CALLER in out
        code, out, err = cli("approve", second)
        assert code == 1 and "not_pending" in err + out
        code, out, err = cli("--json", "reject", pending("reject-cli"))
        assert code == 0 and json.loads(out)["status"] == "rejected"
        reached = stack_client.request("GET", f"{approvals.url}/_local/pushes").json()["pushes"]
        assert len(reached) == 2  # the two approved pushes, once each
    finally:
        approvals.stop()

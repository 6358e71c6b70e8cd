"""The README walkthroughs as a newcomer runs them: tag and push to a tag; push, get, list."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.stack_client import ROOT, StackProcess, request

pytestmark = pytest.mark.integration


def test_tag_three_users_push_to_one_tag_and_see_the_recipients(local_stack: StackProcess) -> None:
    run = uuid.uuid4().hex[:8]
    alice, bob, carol = (f"{name}-{run}" for name in ("alice", "bob", "carol"))
    vip = f"vip-{run}"

    tagged = request(
        "POST",
        f"{local_stack.url}/v1/users/tags",
        {"users": {alice: [vip], bob: [vip, "beta"], carol: ["beta"]}},
    )
    pushed = request(
        "POST",
        f"{local_stack.url}/v1/pushes",
        {"audience": {"tags": {"any": [vip]}}, "message": {"text": "VIP sale starts now"}},
    )
    reached = request("GET", f"{local_stack.url}/_local/pushes").json()["pushes"]

    assert tagged.status == 200 and sorted(tagged.json()["succeeded"]) == sorted(
        [alice, bob, carol]
    )
    assert pushed.status == 202
    [push] = [p for p in reached if p["task_id"] == pushed.json()["task_id"]]
    assert push["recipients"] == sorted([alice, bob])


RECORDS_HEADING = "Push, then look the record up, then list"


def _readme_blocks(after: str, count: int) -> list[str]:
    """The first `count` ```bash blocks of README.md after the line starting with `after`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rest, blocks = text[text.index(after) :], []
    for _ in range(count):
        start = rest.index("```bash\n") + len("```bash\n")
        end = rest.index("```", start)
        blocks.append(rest[start:end])
        rest = rest[end + 3 :]
    return blocks


def _run_pasted(script: str, url: str) -> subprocess.CompletedProcess[str]:
    """The README's lines, run by bash as a reader pastes them (only the port differs)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:3000", url)],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run


def _stack_of(run_line: str, tmp_path: Path) -> StackProcess:
    """A stack started with exactly the variables of the README's `VAR=value … make run`."""
    words = shlex.split(run_line.split("#")[0])
    assert words[-2:] == ["make", "run"], run_line
    env = dict(word.split("=", 1) for word in words[:-2])
    return StackProcess(tmp_path / "stack.log", env).start()


def test_records_walkthrough_runs_as_pasted(local_stack: StackProcess) -> None:
    run = _run_pasted(_readme_blocks(RECORDS_HEADING, 1)[0], local_stack.url)
    record, newest, submitted = _json_values(run.stdout)  # curl adds no newline between them

    assert (record["status"], record["idempotency_key"]) == ("submitted", "records-demo-1")
    assert record["request"]["message"] == {"text": "Records demo"}
    assert len(newest["pushes"]) <= 2 and "next_cursor" in newest
    assert record["push_id"] in {p["push_id"] for p in submitted["pushes"]} | {
        p["push_id"] for p in newest["pushes"]
    }


def _json_values(text: str) -> list[Any]:
    decoder, values, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        value, end = decoder.raw_decode(text, at)
        values.append(value)
        at = end + len(text[end:]) - len(text[end:].lstrip())
    return values


BUDGETS_HEADING = "On the local stack (callers are chosen"


def test_budgets_walkthrough_runs_as_pasted(tmp_path: Path) -> None:
    run_line, script = _readme_blocks(BUDGETS_HEADING, 2)
    stack = _stack_of(run_line, tmp_path)
    try:
        assert set(stack.env) == {"PUSH_DAILY_LIMIT", "QUOTA_BUDGETS"}
        run = _run_pasted(script, stack.url)
    finally:
        stack.stop()
    codes, rest = run.stdout.split("\n", 3)[:3], run.stdout.split("\n", 3)[3]
    assert codes == ["202", "202", "429"]
    mine, shared = _json_values(rest)
    marketing = "arn:aws:iam::123456789012:role/marketing"
    assert mine["caller"] == {
        "name": marketing, "budget": 2, "used": 2, "scheduled": 0, "remaining": 0
    }  # fmt: skip
    assert (mine["limit"], mine["used"]) == (5, 2)
    assert shared["caller"] == {
        "name": "shared", "budget": 3, "used": 0, "scheduled": 0, "remaining": 3
    }  # fmt: skip


APPROVALS_HEADING = "### Approval before a push to everyone"


def test_approvals_walkthrough_runs_as_pasted(tmp_path: Path) -> None:
    run_line, script = _readme_blocks(APPROVALS_HEADING, 2)
    stack = _stack_of(run_line, tmp_path)
    try:
        assert set(stack.env) == {"APPROVAL_REQUIRED", "APPROVERS"}
        run = _run_pasted(script, stack.url)
        pushes = request("GET", f"{stack.sandbox_url}/_sandbox/pushes").json()["pushes"]
    finally:
        stack.stop()
    pending, listed, own, outsider, approved, again, rejected = _json_values(run.stdout)
    assert (pending["status"], pending["idempotency_key"]) == ("pending_approval", "sale-all-1")
    assert pending["expires_at"]
    assert pending["push_id"] in {p["push_id"] for p in listed["pushes"]}
    assert (own["code"], outsider["code"]) == ("self_approval", "not_an_approver")
    assert (approved["push_id"], approved["status"]) == (pending["push_id"], "submitted")
    assert approved["approved_by"] == "arn:aws:iam::123456789012:role/push-approvers"
    assert approved["caller"] == "arn:aws:iam::000000000000:user/local-developer"
    assert again["code"] == "not_pending"
    assert (rejected["status"], rejected["rejected_by"]) == (
        "rejected",
        "arn:aws:iam::000000000000:user/local-developer",
    )
    assert len(pushes) == 1  # one broadcast: the approved push, once

"""The README walkthroughs as a newcomer runs them: tag and push to a tag; push, get, list."""

from __future__ import annotations

import json
import os
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


def _readme_block(after: str) -> str:
    """The first ```bash block of README.md after the line starting with `after`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    rest = text[text.index(after) :]
    start = rest.index("```bash\n") + len("```bash\n")
    return rest[start : rest.index("```", start)]


def test_records_walkthrough_runs_as_pasted(local_stack: StackProcess) -> None:
    # The README's lines, run by bash as a reader pastes them (only the port differs)
    script = _readme_block(RECORDS_HEADING).replace("http://127.0.0.1:3000", local_stack.url)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True, text=True, timeout=60, env=env, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
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

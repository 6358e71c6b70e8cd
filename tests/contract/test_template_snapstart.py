"""SnapStart in template.yaml: a parameter, the push functions' alias, every trigger on it.

The source template is checked here always. The transformed template (what CloudFormation
deploys, produced by samtranslator from the SAM CLI's venv: scripts/snapstart_wiring.py, also run
by `make build`) is checked when `.venv-sam` exists, and skipped otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devstack.template import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
PUSH_FUNCTIONS = ("PushApiFunction", "PushEventFunction")


def test_snapstart_is_a_parameter_with_both_settings(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["SnapStart"]
    assert parameter["AllowedValues"] == ["PublishedVersions", "None"]
    assert parameter["Default"] == "PublishedVersions"  # README "Cold start and SnapStart"


@pytest.mark.parametrize("function", PUSH_FUNCTIONS)
def test_push_functions_publish_an_alias_and_take_the_parameter(
    template: dict[str, Any], function: str
) -> None:
    props = template["Resources"][function]["Properties"]
    assert props["AutoPublishAlias"] == "live"
    assert props["SnapStart"] == {"ApplyOn": {"Ref": "SnapStart"}}


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    if not SAM_PYTHON.is_file():
        pytest.skip("no .venv-sam (run `make build` once); `make build` runs the same check")
    proc = subprocess.run(
        [str(SAM_PYTHON), "scripts/snapstart_wiring.py", "template.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "AWS_DEFAULT_REGION": "ap-southeast-1", "SAM_CLI_TELEMETRY": "0"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


@pytest.mark.parametrize("setting", ["PublishedVersions", "None"])
def test_every_trigger_invokes_the_alias_after_the_transform(
    transformed: dict[str, Any], setting: str
) -> None:
    api, event = transformed[setting]["PushApiFunction"], transformed[setting]["PushEventFunction"]
    for info in (api, event):
        assert info["alias_name"] == "live"
        assert info["versions"] == 1
        assert info["snap_start"] == {"ApplyOn": {"Ref": "SnapStart"}}
    # Every route of the push API (from the template, so a new route is covered) and each
    # route's invoke permission go to the alias.
    routes = {
        f"{e['Properties']['Method'].upper()} {e['Properties']['Path']}"
        for e in load_template()["Resources"]["PushApiFunction"]["Properties"]["Events"].values()
        if e["Type"] == "HttpApi"
    }
    assert {"POST /v1/pushes", "GET /v1/quota", "POST /v1/pushes/{push_id}/approve"} <= routes
    assert {k for k in api["triggers"] if not k.endswith("Permission")} == routes
    assert len([k for k in api["triggers"] if k.endswith("Permission")]) == len(routes)
    assert set(api["triggers"].values()) == {"alias"}
    assert event["triggers"] == {
        "PushEventFunctionPushRequested": "alias",  # the EventBridge rule's target
        "PushEventFunctionPushRequestedPermission": "alias",
        "PushEventFunctionEventInvokeConfig": "alias",  # retries and failure destination
    }

"""Functions of template.yaml against the code: handlers, runtime, environment."""

from __future__ import annotations

import importlib
import re
import typing
from pathlib import Path
from typing import Any

import pytest

from devstack.template import FunctionSpec, functions, load_template
from push_common.settings import Region, Settings
from tests.contract.deployed import REQUIRED_PARAMETERS, resolve

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_IDS = sorted(functions(load_template()))
SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
REQUIRED_SETTINGS_VARS = {n.upper() for n, f in Settings.model_fields.items() if f.is_required()}


def test_template_declares_the_four_functions() -> None:
    assert FUNCTION_IDS == [
        "AudienceApiFunction",
        "PushApiFunction",
        "PushDispatchFunction",
        "PushEventFunction",
    ]


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_handler_file_exists_under_code_uri(specs: dict[str, FunctionSpec], logical_id: str):
    spec = specs[logical_id]
    module_file = spec.handler.rsplit(".", 1)[0].replace(".", "/") + ".py"
    assert (ROOT / spec.code_uri / module_file).is_file()


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_handler_is_an_importable_callable(specs: dict[str, FunctionSpec], logical_id: str):
    spec = specs[logical_id]
    module = importlib.import_module(spec.module)
    assert callable(getattr(module, spec.handler.rsplit(".", 1)[1], None))


def test_runtime_layer_and_build_method_agree(template: dict[str, Any]) -> None:
    runtime = template["Globals"]["Function"]["Runtime"]
    layer = template["Resources"]["CommonLayer"]
    assert runtime == "python3.13"
    assert layer["Properties"]["CompatibleRuntimes"] == [runtime]
    assert layer["Metadata"]["BuildMethod"] == runtime


def test_find_python_looks_for_the_runtime(template: dict[str, Any]) -> None:
    script = (ROOT / "scripts" / "find-python.sh").read_text(encoding="utf-8")
    wanted = re.search(r'want="\$\{RUNTIME_PYTHON:-(python[0-9.]+)\}"', script)
    assert wanted is not None
    assert wanted.group(1) == template["Globals"]["Function"]["Runtime"]


def test_layer_and_functions_share_one_architecture(template: dict[str, Any]) -> None:
    layer = template["Resources"]["CommonLayer"]
    assert template["Globals"]["Function"]["Architectures"] == ["arm64"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"


# Switches read by libraries, not by Settings (docs/decisions.md §25)
LIBRARY_SWITCHES = frozenset({"PYDANTIC_DISABLE_PLUGINS"})


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_every_env_var_is_powertools_or_a_setting(specs: dict[str, FunctionSpec], logical_id):
    unknown = {
        name
        for name in specs[logical_id].environment
        if not name.startswith("POWERTOOLS_")
        and name not in SETTINGS_VARS
        and name not in LIBRARY_SWITCHES
    }
    assert unknown == set()


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_pydantic_plugins_are_off(specs: dict[str, FunctionSpec], logical_id: str) -> None:
    # docs/decisions.md §25: no entry-point scan on the first validator of a cold start
    assert specs[logical_id].environment["PYDANTIC_DISABLE_PLUGINS"] == "1"


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_every_required_setting_is_provided(specs: dict[str, FunctionSpec], logical_id: str):
    assert REQUIRED_SETTINGS_VARS - set(specs[logical_id].environment) == set()


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_deployed_environment_validates_as_settings(
    template: dict[str, Any], specs: dict[str, FunctionSpec], logical_id: str
):
    # Given the parameter defaults plus the values a deployer must pass
    env = {n: resolve(v, template) for n, v in specs[logical_id].environment.items()}
    # Then the function's settings load (defaults are valid zones, numbers, regions)
    settings = Settings.from_env(env)
    assert settings.tim_secret_id == REQUIRED_PARAMETERS["TimSecretArn"]


@pytest.mark.parametrize(
    "logical_id", ["PushApiFunction", "PushEventFunction", "PushDispatchFunction"]
)
def test_push_functions_know_their_tables(specs: dict[str, FunctionSpec], logical_id: str):
    assert {"QUOTA_TABLE", "PUSHES_TABLE"} <= set(specs[logical_id].environment)


def test_audience_function_gets_no_table(specs: dict[str, FunctionSpec]) -> None:
    assert not {"QUOTA_TABLE", "PUSHES_TABLE"} & set(specs["AudienceApiFunction"].environment)


def test_event_function_knows_its_bus(specs: dict[str, FunctionSpec]) -> None:
    assert "EVENT_BUS_NAME" in specs["PushEventFunction"].environment


def test_region_parameter_offers_exactly_the_settings_regions(template: dict[str, Any]) -> None:
    allowed = template["Parameters"]["TimRegion"]["AllowedValues"]
    assert sorted(allowed) == sorted(typing.get_args(Region))


@pytest.mark.parametrize(
    ("logical_id", "timeout"),
    [
        ("PushApiFunction", 12),
        ("AudienceApiFunction", 12),
        ("PushEventFunction", 30),
        ("PushDispatchFunction", 60),
    ],
)
def test_timeouts(specs: dict[str, FunctionSpec], logical_id: str, timeout: int) -> None:
    # API Gateway answers 503 after 30 s, so synchronous functions must finish well before
    assert specs[logical_id].timeout == timeout


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        (
            "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:tim-push-gateway/admin-AbCdEf",
            True,
        ),
        ("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:tim-admin-a1B2c3", True),
        ("tim-push-gateway/admin", False),  # a name: the policy could not name the secret
        ("arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:tim-push-gateway/admin", False),
        ("arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:*", False),
    ],
    ids=["full-arn", "aws-cn", "name", "partial-arn", "wildcard"],
)
def test_secret_parameter_accepts_only_a_full_secret_arn(
    template: dict[str, Any], value: str, accepted: bool
) -> None:
    pattern = template["Parameters"]["TimSecretArn"]["AllowedPattern"]
    assert (re.fullmatch(pattern, value) is not None) is accepted


@pytest.mark.parametrize("logical_id", ["PushApiFunction", "PushEventFunction"])
def test_scheduling_functions_know_the_scheduler(specs: dict[str, FunctionSpec], logical_id: str):
    names = {"SCHEDULE_GROUP_NAME", "SCHEDULE_TARGET_ARN", "SCHEDULER_ROLE_ARN", "SCHEDULE_DLQ_ARN"}
    assert names <= set(specs[logical_id].environment)

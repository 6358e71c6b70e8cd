"""State, events, logs and permissions of template.yaml against the code that uses them."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from devstack.intrinsics import evaluate, parameter_values
from devstack.template import FUNCTION_TYPE, iam_actions, load_template, resources_of_type, tables
from push_common import quota
from push_common.push.listing import BY_CALLER, BY_CREATED

ROOT = Path(__file__).resolve().parents[2]
FUNCTION_IDS = sorted(resources_of_type(load_template(), FUNCTION_TYPE))
TABLE_IDS = ["QuotaTable", "PushesTable"]


def _props(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return props


def _ref_target(template: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    """The resource behind `Ref x` or `GetAtt x.Attr`."""
    logical_id = value["Ref"] if "Ref" in value else value["Fn::GetAtt"][0]
    resource: dict[str, Any] = template["Resources"][logical_id]
    return resource


def test_quota_table_key_is_what_the_quota_module_writes(template: dict[str, Any]) -> None:
    spec = tables(template)["QuotaTable"]
    assert spec.key_schema == [{"AttributeName": quota.QUOTA_KEY_ATTRIBUTE, "KeyType": "HASH"}]
    assert spec.attribute_definitions == [
        {"AttributeName": quota.QUOTA_KEY_ATTRIBUTE, "AttributeType": "S"}
    ]


def test_quota_table_expires_what_the_quota_module_stamps(template: dict[str, Any]) -> None:
    assert tables(template)["QuotaTable"].ttl_attribute == quota.TTL_ATTRIBUTE


def test_pushes_table_key_and_expiry_are_what_the_records_module_writes(
    template: dict[str, Any],
) -> None:
    spec = tables(template)["PushesTable"]
    assert spec.key_schema == [{"AttributeName": "push_id", "KeyType": "HASH"}]
    assert spec.ttl_attribute == "expires_at"
    indexes = {index["IndexName"]: index["KeySchema"] for index in spec.global_indexes}
    assert indexes["by_created"][0]["AttributeName"] == "list_pk"
    assert indexes["by_caller"][0]["AttributeName"] == "caller"


@pytest.mark.parametrize("logical_id", TABLE_IDS)
def test_table_is_on_demand_encrypted_and_recoverable(template: dict[str, Any], logical_id: str):
    props = _props(template, logical_id)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_every_log_group_has_retention(template: dict[str, Any]) -> None:
    groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert len(groups) == len(FUNCTION_IDS) + 1  # one per function plus the API's access log
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_function_logs_to_its_own_group(template: dict[str, Any], logical_id: str) -> None:
    group = _props(template, logical_id)["LoggingConfig"]["LogGroup"]
    assert group == {"Ref": f"{logical_id}LogGroup"}
    assert template["Resources"][group["Ref"]]["Type"] == "AWS::Logs::LogGroup"


def _push_requested_rule(template: dict[str, Any]) -> dict[str, Any]:
    events = _props(template, "PushEventFunction")["Events"].values()
    rules: list[dict[str, Any]] = [
        e["Properties"] for e in events if e["Type"] == "EventBridgeRule"
    ]
    (rule,) = rules
    return rule


def test_rule_sends_push_requested_to_the_event_function(template: dict[str, Any]) -> None:
    # As deployed with the defaults (no ALLOWED_EVENT_SOURCES): every source on the bus
    defaults = parameter_values(template, {}, {})
    pattern = evaluate(
        _push_requested_rule(template)["Pattern"], template, defaults, "ap-southeast-1"
    )
    assert pattern == {"detail-type": ["Push Requested"]}


def test_rule_retries_then_dead_letters(template: dict[str, Any]) -> None:
    rule = _push_requested_rule(template)
    assert set(rule["RetryPolicy"]) == {"MaximumRetryAttempts", "MaximumEventAgeInSeconds"}
    assert _ref_target(template, rule["DeadLetterConfig"]["Arn"])["Type"] == "AWS::SQS::Queue"


def test_event_function_retries_then_parks_failures(template: dict[str, Any]) -> None:
    config = _props(template, "PushEventFunction")["EventInvokeConfig"]
    on_failure = config["DestinationConfig"]["OnFailure"]
    assert config["MaximumRetryAttempts"] == 2
    assert on_failure["Type"] == "SQS"
    assert _ref_target(template, on_failure["Destination"])["Type"] == "AWS::SQS::Queue"


def test_iam_actions_are_declared_for_exactly_the_functions(template: dict[str, Any]) -> None:
    assert sorted(iam_actions(template)) == FUNCTION_IDS


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_policies_take_their_actions_from_the_mapping(template: dict[str, Any], logical_id: str):
    # Every statement reads its own function's list, so the mapping is the whole truth
    (policy,) = _props(template, logical_id)["Policies"]
    used = {tuple(s["Action"]["Fn::FindInMap"]) for s in policy["Statement"]}
    declared = {("IamActions", logical_id, key) for key in iam_actions(template)[logical_id]}
    assert used == declared


@pytest.mark.parametrize("logical_id", FUNCTION_IDS)
def test_policies_name_their_resources(template: dict[str, Any], logical_id: str) -> None:
    (policy,) = _props(template, logical_id)["Policies"]
    for statement in policy["Statement"]:
        assert statement["Effect"] == "Allow"
        resource = str(statement["Resource"])
        # The only pattern: the push schedules (push-<push_id>) inside the stack's own group.
        resource = resource.replace("schedule/${PushScheduleGroup}/push-*", "schedule/<group>")
        assert "*" not in resource


def test_audience_function_may_only_read_the_secret(template: dict[str, Any]) -> None:
    assert iam_actions(template)["AudienceApiFunction"] == {
        "TimSecret": ["secretsmanager:GetSecretValue"]
    }


def test_layer_ships_no_boto() -> None:
    requirements = (ROOT / "layers" / "common" / "requirements.txt").read_text(encoding="utf-8")
    assert not re.search(r"^(boto3|botocore)\b", requirements, re.MULTILINE | re.IGNORECASE)


def _pins() -> list[tuple[str, str]]:
    text = (ROOT / "layers" / "common" / "requirements.txt").read_text(encoding="utf-8")
    pins: list[tuple[str, str]] = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.MULTILINE)
    # tzdata: dev machines use the system zone database; only Lambda's image lacks one
    return [(name, pinned) for name, pinned in pins if name != "tzdata"]


@pytest.mark.parametrize(("name", "pinned"), _pins())
def test_layer_pins_what_the_tests_run_against(name: str, pinned: str) -> None:
    assert version(name) == pinned


def test_push_api_may_query_exactly_the_pushes_indexes(template: dict[str, Any]) -> None:
    # The listings (push_common.push.listing) query both indexes and nothing else
    (policy,) = _props(template, "PushApiFunction")["Policies"]
    (statement,) = [
        s
        for s in policy["Statement"]
        if s["Action"]["Fn::FindInMap"] == ["IamActions", "PushApiFunction", "PushesTableIndexes"]
    ]
    indexes = {index["IndexName"] for index in tables(template)["PushesTable"].global_indexes}
    assert indexes == {BY_CREATED, BY_CALLER}
    assert statement["Resource"] == [
        {"Fn::Sub": f"${{PushesTable.Arn}}/index/{name}"} for name in (BY_CREATED, BY_CALLER)
    ]
    assert iam_actions(template)["PushApiFunction"]["PushesTableIndexes"] == ["dynamodb:Query"]


def test_outcome_unknown_alarm_watches_the_metric_the_code_emits(template: dict[str, Any]) -> None:
    alarm = _props(template, "PushOutcomeUnknownAlarm")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    source = (ROOT / "layers/common/push_common/push/submission.py").read_text(encoding="utf-8")
    assert f'count("{alarm["MetricName"]}")' in source
    assert alarm["Namespace"] == variables["POWERTOOLS_METRICS_NAMESPACE"]
    # Powertools adds the `service` dimension to every metric it emits
    assert alarm["Dimensions"] == [
        {"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}
    ]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == _props(template, "HttpApi5xxAlarm")["AlarmActions"]


def test_schedules_fire_the_dispatcher_through_a_role_only_it_can_use(
    template: dict[str, Any],
) -> None:
    role = template["Resources"]["SchedulerRole"]["Properties"]
    principal = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "scheduler.amazonaws.com"}
    (policy,) = role["Policies"]
    grants = {s["Action"]: s["Resource"] for s in policy["PolicyDocument"]["Statement"]}
    assert grants == {
        "lambda:InvokeFunction": {"Fn::GetAtt": ["PushDispatchFunction", "Arn"]},
        "sqs:SendMessage": {"Fn::GetAtt": ["PushScheduleDLQ", "Arn"]},
    }
    group = template["Resources"]["PushScheduleGroup"]
    assert group["Type"] == "AWS::Scheduler::ScheduleGroup"

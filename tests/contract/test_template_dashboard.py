"""The operator dashboard: valid JSON once deployed, and only metrics the code really emits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from devstack.template import resources_of_type

ROOT = Path(__file__).resolve().parents[2]
CODE_DIRS = [ROOT / "layers" / "common" / "push_common", ROOT / "functions"]
NAMESPACE = "TimPushGateway"
# count / count_by / gauge / timing ("X", ...) are the only ways the code emits a metric.
EMITTED = re.compile(r"\b(?:count|count_by|gauge|timing)\(\s*\"([A-Za-z]+)\"")
SUB = re.compile(r"\$\{([A-Za-z0-9:.]+)\}")


def _emitted_metrics() -> set[str]:
    names: set[str] = set()
    for folder in CODE_DIRS:
        for path in folder.rglob("*.py"):
            names.update(EMITTED.findall(path.read_text(encoding="utf-8")))
    return names


@pytest.fixture(scope="module")
def dashboard(template: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """The dashboard body with every ${...} filled in, and the names that were substituted."""
    (resource,) = resources_of_type(template, "AWS::CloudWatch::Dashboard").values()
    body = resource["Properties"]["DashboardBody"]["Fn::Sub"]
    assert isinstance(body, str)
    names = set(SUB.findall(body))
    filled = SUB.sub(lambda m: "100" if m.group(1) == "PushDailyLimit" else "x", body)
    parsed: dict[str, Any] = json.loads(filled)
    return parsed, names


def _metric_rows(body: dict[str, Any]) -> list[list[Any]]:
    return [row for w in body["widgets"] for row in w.get("properties", {}).get("metrics", [])]


def test_every_substitution_names_a_parameter_resource_or_pseudo_parameter(
    template: dict[str, Any], dashboard: tuple[dict[str, Any], set[str]]
) -> None:
    known = set(template["Parameters"]) | set(template["Resources"])
    for name in dashboard[1]:
        assert name.startswith("AWS::") or name.split(".")[0] in known, name


def test_gateway_metrics_on_the_dashboard_are_emitted_by_the_code(
    dashboard: tuple[dict[str, Any], set[str]],
) -> None:
    emitted = _emitted_metrics()
    shown = {row[1] for row in _metric_rows(dashboard[0]) if row and row[0] == NAMESPACE}
    expressions = json.dumps(dashboard[0])
    shown |= set(re.findall(r'MetricName=\\"([A-Za-z]+)\\"', expressions))
    assert shown, "the dashboard shows none of the gateway's own metrics"
    assert shown <= emitted, f"not emitted anywhere: {shown - emitted}"


@pytest.mark.parametrize(
    "metric",
    [
        "PushAccepted",
        "RefusedByCode",
        "QuotaUsed",
        "UpstreamLatency",
        "UpstreamErrors",
        "PushOutcomeUnknown",
    ],
)
def test_the_dashboard_covers(metric: str, dashboard: tuple[dict[str, Any], set[str]]) -> None:
    assert metric in json.dumps(dashboard[0])


def test_refusals_are_split_by_their_code(dashboard: tuple[dict[str, Any], set[str]]) -> None:
    expressions = [
        row[0]["expression"]
        for row in _metric_rows(dashboard[0])
        if row and isinstance(row[0], dict) and "expression" in row[0]
    ]
    assert any("{TimPushGateway,code,service}" in e for e in expressions)


def test_both_dead_letter_queues_are_watched(dashboard: tuple[dict[str, Any], set[str]]) -> None:
    assert {"PushEventRuleDLQ.QueueName", "PushEventFailureQueue.QueueName"} <= dashboard[1]


def test_metrics_carry_the_service_dimension_powertools_adds(
    template: dict[str, Any], dashboard: tuple[dict[str, Any], set[str]]
) -> None:
    service = template["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
    for row in _metric_rows(dashboard[0]):
        if row and row[0] == NAMESPACE:
            assert row[2:4] == ["service", service], row

"""The CloudFormation-tag-tolerant loader that the local stack and these tests rely on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket

from devstack.template import functions, load_template


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    """The loader reads files only; sockets stay off as in the no-network suites."""
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


SNIPPET = """
Globals:
  Function:
    Timeout: 7
    Environment: {Variables: {SHARED: one, OVERRIDDEN: global}}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/fn/
      Handler: handler.lambda_handler
      Environment: {Variables: {OVERRIDDEN: !Ref Param, BUS: !If [Cond, !Ref Bus, other]}}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {detail-type: [Thing Happened]}
      Targets:
        - {Id: fn, Arn: !GetAtt Fn.Arn}
  Named:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-q"
      Tags: !Split [",", !Join [",", [a, b]]]
"""


def _load(tmp_path: Path, text: str = SNIPPET) -> dict[str, Any]:
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


def test_short_form_tags_become_long_form(tmp_path: Path) -> None:
    queue = _load(tmp_path)["Resources"]["Named"]["Properties"]
    assert queue == {
        "QueueName": {"Fn::Sub": "${AWS::StackName}-q"},
        "Tags": {"Fn::Split": [",", {"Fn::Join": [",", ["a", "b"]]}]},
    }


def test_get_att_dotted_form_is_split(tmp_path: Path) -> None:
    rule = _load(tmp_path)["Resources"]["Rule"]["Properties"]
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": ["Fn", "Arn"]}


def test_function_environment_merges_globals_under_its_own(tmp_path: Path) -> None:
    spec = functions(_load(tmp_path))["Fn"]
    assert spec.environment == {
        "SHARED": "one",
        "OVERRIDDEN": {"Ref": "Param"},
        "BUS": {"Fn::If": ["Cond", {"Ref": "Bus"}, "other"]},
    }


def test_function_takes_globals_and_derives_its_module(tmp_path: Path) -> None:
    spec = functions(_load(tmp_path))["Fn"]
    assert (spec.timeout, spec.memory, spec.module) == (7, 128, "functions.fn.handler")


def test_standalone_rule_pattern_belongs_to_its_target(tmp_path: Path) -> None:
    spec = functions(_load(tmp_path))["Fn"]
    assert spec.eventbridge_patterns == [{"detail-type": ["Thing Happened"]}]

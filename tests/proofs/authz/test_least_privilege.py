"""Least privilege: the actions each function is granted are exactly the ones its code calls.

Each function runs in-process against moto and the upstream sandbox through its code paths
(tests/proofs/authz/scenarios.py) while every botocore call is recorded as (IAM action, resource).
The grants come from `Mappings.IamActions` in template.yaml, which the policies read.
"""

from __future__ import annotations

import pytest

from devstack.sandbox import UpstreamSandbox
from devstack.template import iam_actions, load_template
from push_common import caches
from tests.proofs.authz.aws_calls import AwsCallRecorder
from tests.proofs.authz.conftest import RESOURCE_KEYS
from tests.proofs.authz.scenarios import SCENARIOS

Grants = dict[str, set[str]]
GRANTED: dict[str, Grants] = {
    function: {resource: set(actions) for resource, actions in per_resource.items()}
    for function, per_resource in iam_actions(load_template()).items()
}


@pytest.fixture(scope="module")
def recorders(handler_world: UpstreamSandbox) -> dict[str, AwsCallRecorder]:
    """Function -> the calls its scenarios made (each scenario starts from a cold process)."""
    out: dict[str, AwsCallRecorder] = {}
    for function, scenario in SCENARIOS.items():
        recorder = out[function] = AwsCallRecorder(RESOURCE_KEYS)
        with pytest.MonkeyPatch.context() as patch, recorder.recording():
            caches.clear_all()  # settings, clients and secrets read afresh
            scenario(handler_world, patch, recorder)
        caches.clear_all()
        handler_world.reset()
    return out


@pytest.fixture(scope="module")
def observed(recorders: dict[str, AwsCallRecorder]) -> dict[str, Grants]:
    """Function -> resource -> actions called in any phase."""
    return {function: recorder.granted_form() for function, recorder in recorders.items()}


def _minus(left: Grants, right: Grants) -> Grants:
    diff = {r: actions - right.get(r, set()) for r, actions in left.items()}
    return {r: actions for r, actions in diff.items() if actions}


def test_every_function_has_scenarios() -> None:
    assert set(SCENARIOS) == set(GRANTED)


@pytest.mark.parametrize("function", sorted(GRANTED))
def test_every_call_is_granted(observed: dict[str, Grants], function: str) -> None:
    assert _minus(observed[function], GRANTED[function]) == {}, "called but not granted"


@pytest.mark.parametrize("function", sorted(GRANTED))
def test_every_grant_is_used(observed: dict[str, Grants], function: str) -> None:
    assert _minus(GRANTED[function], observed[function]) == {}, "granted but never called"


def test_figures(recorders: dict[str, AwsCallRecorder]) -> None:
    # One line per function for the reliability report: which grants only the fallback for a
    # DynamoDB without ReturnValuesOnConditionCheckFailure (dynalite) needs.
    for function, recorder in sorted(recorders.items()):
        on_aws = recorder.granted_form("aws")
        fallback_only = _minus(recorder.granted_form(), on_aws)
        only = ",".join(
            f"{r}:{a.split(':')[1]}" for r, acts in fallback_only.items() for a in sorted(acts)
        )
        print(
            f"authz: function={function} granted={_count(GRANTED[function])} "
            f"called={_count(recorder.granted_form())} called_on_aws={_count(on_aws)} "
            f"fallback_only={only or '-'} calls={len(recorder.calls)}"
        )
        assert recorder.calls


def _count(grants: Grants) -> int:
    return sum(len(actions) for actions in grants.values())

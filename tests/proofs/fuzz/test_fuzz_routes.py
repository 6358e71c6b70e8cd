"""Property-based fuzzing of every route over real HTTP: no 5xx, every answer as documented.

`FUZZ_EXAMPLES` (default 30) sets the generated cases per route; raise it for a soak run:
`FUZZ_EXAMPLES=2000 .venv/bin/pytest tests/proofs/fuzz -s`. Runs are derandomised (reproducible) and
write no example database. Failures are recorded, not raised inside Hypothesis, so each route
reports `fuzz: N cases, M failures` with the exact input of every failure.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.proofs.fuzz.routes import ALL_ROUTES, BODY_SEEDS, cases
from tests.proofs.fuzz.runner import TALLIES, Case, Fuzzer, Tally, report
from tests.support.openapi_spec import documented_routes, request_schema, validator

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: failures are collected, not raised
    suppress_health_check=list(HealthCheck),
)


def test_every_documented_route_is_fuzzed() -> None:
    assert set(ALL_ROUTES) == documented_routes()


@pytest.mark.parametrize("route", sorted(BODY_SEEDS), ids=" ".join)
def test_seed_bodies_are_valid_requests(route: tuple[str, str]) -> None:
    for seed in BODY_SEEDS[route]:
        validator(request_schema(*route)).validate(seed)


@pytest.mark.parametrize("route", ALL_ROUTES, ids=" ".join)
def test_route_answers_hostile_input_as_documented(route: tuple[str, str], fuzzer: Fuzzer) -> None:
    tally = TALLIES.setdefault(" ".join(route), Tally())
    start_cases, start_failures = tally.cases, len(tally.failures)

    @FUZZ_SETTINGS
    @given(cases(*route))
    def fuzz(case: Case) -> None:
        fuzzer.run(case)

    fuzz()
    ran, failed = tally.cases - start_cases, tally.failures[start_failures:]
    print(tally.line(" ".join(route)))  # shown with -s; the terminal summary prints it too
    assert ran >= min(EXAMPLES, 10)
    assert not failed, report(" ".join(route))

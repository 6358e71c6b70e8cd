"""Fixtures of the contention proofs: dynalite (serialised conditional writes, unlike moto)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.dynalite import Dynalite, unavailable_reason
from tests.proofs.reliability.contention_worker import create_tables


@pytest.fixture(scope="module")
def dynalite_url() -> Iterator[str]:
    if (reason := unavailable_reason()) is not None:
        pytest.fail(f"dynalite is required for the contention proofs: {reason}")
    server = Dynalite()
    server.launch()
    try:
        yield server.wait_ready()
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ddb_url(dynalite_url: str) -> str:
    """dynalite with the quota and records tables (`push-quota`, `push-records`)."""
    create_tables(dynalite_url)
    return dynalite_url

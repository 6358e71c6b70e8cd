"""Template contract tests: template.yaml parsed with the local stack's loader, no network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_socket import disable_socket, enable_socket

from devstack.template import FunctionSpec, functions, load_template


@pytest.fixture(autouse=True)
def _no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=True)
    yield
    enable_socket()


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def specs(template: dict[str, Any]) -> dict[str, FunctionSpec]:
    return functions(template)

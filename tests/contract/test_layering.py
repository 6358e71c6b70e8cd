"""The import direction of docs/architecture.md §1, checked over the AST of every module.

A module may import its own component and any component on a lower level. Components on the
same level are siblings and never import each other (push/ and audience/ share only what lies
below them). A new module must be placed in `LEVELS` before this test passes, which is the point:
where it goes is a decision, not an accident.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_ROOT = ROOT / "layers" / "common"
FIRST_PARTY = ("push_common", "functions", "devstack", "tests", "bench", "openapi")

# Top first: level → component → module prefixes (longest prefix wins).
LEVELS: tuple[dict[str, tuple[str, ...]], ...] = (
    {  # the Lambda handlers: parsing and wiring only
        "push_api": ("functions.push_api",),
        "push_event": ("functions.push_event",),
        "push_dispatch": ("functions.push_dispatch",),
        "audience_api": ("functions.audience_api",),
    },
    {  # the two features: siblings
        "push": ("push_common.push",),
        "audience": ("push_common.audience",),
    },
    {  # Lambda edges: API Gateway events, routing, EventBridge envelopes; no feature knowledge
        "edge": ("push_common.edge",),
    },
    {  # adapters to the outside: Tencent IM, Secrets Manager, the DynamoDB quota
        "upstream": (
            "push_common.attribute_names",
            "push_common.credentials",
            "push_common.regions",
            "push_common.tim_caller",
            "push_common.tim_client",
            "push_common.tim_http",
            "push_common.tim_wire",
            "push_common.usersig",
        ),
        "quota": (
            "push_common.quota",
            "push_common.quota_calendar",
            "push_common.quota_pools",
            "push_common.rate_gate",
        ),
        "scheduler": ("push_common.schedules",),
    },
    {  # foundation: no I/O of its own beyond building AWS clients
        "foundation": (
            "push_common",  # the package's __init__ only (see component_of)
            "push_common.aws_errors",
            "push_common.body",
            "push_common.caches",
            "push_common.clients",
            "push_common.coldstart",
            "push_common.dataclass_code",
            "push_common.errors",
            "push_common.identity",
            "push_common.observability",
            "push_common.settings",
            "push_common.upstream_api",
            "push_common.snapstart",
            "push_common.upstream_codes",
            "push_common.upstream_rules",
            "push_common.validation",
        ),
    },
)


def _module_name(path: Path) -> str:
    base = PACKAGE_ROOT if path.is_relative_to(PACKAGE_ROOT) else ROOT
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> list[Path]:
    files = sorted((PACKAGE_ROOT / "push_common").rglob("*.py"))
    return files + sorted((ROOT / "functions").rglob("*.py"))


KNOWN_MODULES = {_module_name(p) for p in _sources()}


def component_of(module: str) -> tuple[int, str] | None:
    """(level, component) of `module`, by its longest listed prefix; None if unlisted."""
    best: tuple[int, int, str] | None = None
    for level, components in enumerate(LEVELS):
        for component, prefixes in components.items():
            for prefix in prefixes:
                # a bare package root names its __init__ only, so a new module is never "placed"
                nested = "." in prefix and module.startswith(prefix + ".")
                longer = best is None or len(prefix) > best[0]
                if (module == prefix or nested) and longer:
                    best = (len(prefix), level, component)
    return None if best is None else (best[1], best[2])


def imported_modules(module: str, source: str, *, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, module) of every import, lazy and TYPE_CHECKING ones included."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                anchor = parts[: len(parts) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if candidate in KNOWN_MODULES else base


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    own = component_of(module)
    if own is None:
        return [f"{module} is in no layer: add it to LEVELS in {Path(__file__).name}"]
    found = []
    for line, target in imported_modules(module, source, is_package=is_package):
        if target.split(".")[0] not in FIRST_PARTY:
            continue
        theirs = component_of(target)
        where = f"{module}:{line} imports {target}"
        if theirs is None:
            found.append(f"{where}: not a production module (tests, devstack, bench...)")
        elif theirs[1] == own[1]:
            continue
        elif theirs[0] == own[0]:
            found.append(f"{where}: sideways ({own[1]} -> sibling {theirs[1]})")
        elif theirs[0] < own[0]:
            found.append(f"{where}: upward ({own[1]} -> {theirs[1]})")
    return found


@pytest.mark.parametrize("path", _sources(), ids=_module_name)
def test_imports_only_downward(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    is_package = path.name == "__init__.py"
    assert violations(_module_name(path), source, is_package=is_package) == []


def test_every_listed_prefix_exists() -> None:
    """A stale entry in LEVELS would hide a module that moved."""
    listed = {prefix for components in LEVELS for ps in components.values() for prefix in ps}
    missing = [p for p in listed if not any(m == p or m.startswith(p + ".") for m in KNOWN_MODULES)]
    assert missing == []
    placed = {m: component_of(m) for m in KNOWN_MODULES}
    missing = [m for m, c in placed.items() if c is None]
    assert missing == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("push_common.audience.rules", "from push_common.push.rules import check_text", "sideways"),
        ("push_common.push.wire", "from ..audience import models", "sideways"),
        ("push_common.errors", "import push_common.push.service", "upward"),
        ("push_common.tim_client", "from push_common.edge import http", "upward"),
        ("push_common.quota", "from push_common import tim_client", "sideways"),
        ("push_common.push.deps", "from tests.unit import fakes", "not a production module"),
        ("push_common.new_module", "", "in no layer"),
    ],
)
def test_checker_catches(module: str, source: str, expected: str) -> None:
    """The checker itself, on made-up sources: each case is one way to break the layering."""
    found = violations(module, source)
    assert len(found) == 1 and expected in found[0], found


def test_checker_allows_downward_and_lazy_imports() -> None:
    source = "def f():\n    from push_common.settings import get_settings\n"
    assert violations("push_common.push.service", source) == []
    assert violations("push_common.caches", source) == []

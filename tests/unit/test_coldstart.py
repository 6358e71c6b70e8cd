"""A handler's init phase (push_common.coldstart, docs/decisions.md §28, §29).

Every handler imports `push_common.coldstart` before anything that costs (Powertools, pydantic,
botocore), preloads its own modules from a frame with room above it, and calls `coldstart.end()`
as its last statement: the collector is paused while the handler imports, and on again, with the
import's objects frozen, once it has.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted((ROOT / "functions").glob("*/handler.py"))
STDLIB = frozenset({"__future__", "time", "typing"})


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_coldstart_is_the_first_costly_import_and_end_the_last_statement(handler: Path) -> None:
    body = ast.parse(handler.read_text(encoding="utf-8")).body
    imports = [node for node in body if isinstance(node, ast.Import | ast.ImportFrom)]
    costly = [
        node
        for node in imports
        if not (isinstance(node, ast.ImportFrom) and node.module in STDLIB)
        and not (isinstance(node, ast.Import) and node.names[0].name in STDLIB)
    ]
    first = costly[0]
    assert isinstance(first, ast.ImportFrom) and first.module == "push_common"
    assert "coldstart" in {alias.name for alias in first.names}
    after = body[body.index(first) + 1]
    assert isinstance(after, ast.Expr) and ast.unparse(after.value).startswith("coldstart.preload(")
    last = body[-1]
    assert isinstance(last, ast.Expr) and ast.unparse(last.value) == "coldstart.end()"


CHILD = """
import gc, json, sys, threading
from pathlib import Path
seen = {}
import push_common.coldstart as coldstart
from push_common.dataclass_code import import_handler
seen["paused_while_importing"] = not gc.isenabled()
preload, loaded = coldstart.preload, {}

def recording_preload(*modules):
    preload(*modules)
    loaded["after_preload"] = set(sys.modules)
    loaded["threads"] = threading.active_count()

coldstart.preload = recording_preload
import_handler(Path(sys.argv[1]))
seen["imported_after_preload"] = sorted(set(sys.modules) - loaded["after_preload"])
seen["threads_after_preload"] = loaded["threads"]
seen["enabled_after"] = gc.isenabled()
seen["frozen"] = gc.get_freeze_count()
coldstart.end()  # a second end (another handler in the same process) changes nothing
seen["frozen_again"] = gc.get_freeze_count()
print(json.dumps(seen))
"""


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_importing_a_handler_pauses_the_collector_then_freezes_and_restarts_it(
    handler: Path,
) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(handler)],
        check=True,
        capture_output=True,
        text=True,
        env={"POWERTOOLS_METRICS_NAMESPACE": "test", "PATH": "/usr/bin:/bin"},
    )
    seen = json.loads(out.stdout)
    assert seen["paused_while_importing"] is True
    # every module of the handler came from the preload thread, which has ended
    assert seen["imported_after_preload"] == [], seen["imported_after_preload"]
    assert seen["threads_after_preload"] == 1
    assert seen["enabled_after"] is True
    assert seen["frozen"] > 10_000  # everything the import made
    assert seen["frozen_again"] == seen["frozen"]


def test_a_failing_preload_raises_in_the_handler() -> None:
    from push_common import coldstart

    with pytest.raises(ModuleNotFoundError, match="no_such_module"):
        coldstart.preload("push_common.body", "push_common.no_such_module")


def test_the_headroom_frame_does_not_fit_a_chunk() -> None:
    # docs/decisions.md §29: more than CPython's 16 KiB chunk, so it starts a chunk of its own
    from push_common import coldstart

    code = coldstart._call_with_headroom.__code__
    assert code.co_stacksize * 8 > 4 * 16 * 1024


def _chunk_unmaps(depth: int, imports: str) -> int:
    """munmap calls of a fresh process importing `imports` `depth` frames deep (strace)."""
    script = (
        f"import importlib\ndef pad(n):\n    if n: return pad(n - 1)\n    {imports}\npad({depth})\n"
    )
    env = {"PYTHONPATH": f"{ROOT / 'layers' / 'common'}:{ROOT / 'functions' / 'push_api'}"}
    strace = ["strace", "-f", "--seccomp-bpf", "-c", "-e", "trace=munmap", "-o", "/dev/stdout"]
    out = subprocess.run(
        [*strace, sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    return sum(int(line.split()[3]) for line in out.stdout.splitlines() if line.endswith("munmap"))


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace is not installed")
def test_a_handler_import_maps_no_frame_chunks_at_any_depth() -> None:
    # The same modules imported the plain way unmap ~400 chunks (at any depth from 0 to 9).
    plain = "import push_common.push.service, push_common.push.http_api, push_common.edge.router"
    control = _chunk_unmaps(0, plain)
    handler = [_chunk_unmaps(depth, "importlib.import_module('handler')") for depth in (0, 5)]

    assert control > 200
    assert max(handler) < 50


def test_a_process_that_had_the_collector_off_keeps_it_off() -> None:
    code = (
        "import gc; gc.disable(); import push_common.coldstart as c; c.end(); "
        "print(gc.isenabled(), gc.get_freeze_count())"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "0"]


def _defines_a_model(tree: ast.Module) -> bool:
    """Whether a module may define pydantic models: it imports pydantic and defines a class."""
    uses_pydantic = any(
        (isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "pydantic")
        or (isinstance(node, ast.Import) and any(a.name.startswith("pydantic") for a in node.names))
        for node in ast.walk(tree)
    )
    return uses_pydantic and any(isinstance(node, ast.ClassDef) for node in tree.body)


MODEL_MODULES = [
    path
    for path in sorted((ROOT / "layers" / "common" / "push_common").rglob("*.py"))
    if _defines_a_model(ast.parse(path.read_text(encoding="utf-8")))
]


def test_the_model_modules_are_found() -> None:
    names = {path.stem for path in MODEL_MODULES}
    assert {"settings", "elements", "request", "credentials", "models", "eventbridge"} <= names


@pytest.mark.parametrize("module", MODEL_MODULES, ids=lambda p: p.stem)
def test_a_module_of_models_evaluates_its_annotations_eagerly(module: Path) -> None:
    # docs/decisions.md §26: with string annotations pydantic evals each one at class creation
    tree = ast.parse(module.read_text(encoding="utf-8"))
    future = [
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
        for alias in node.names
    ]
    assert "annotations" not in future

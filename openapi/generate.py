"""Refresh the generated part of `openapi/openapi.yaml`: the push request schemas.

The `POST /v1/pushes` body is defined once, by the pydantic model `PushRequest`. Its JSON Schema
(and every schema it references) is generated into `components.schemas`, and the names are listed
in `components.x-generated-schemas`; everything else in the document is written by hand.
`tests/contract/test_openapi.py` re-runs `build` and fails when the committed file is stale.

    .venv/bin/python -m openapi.generate          # rewrite openapi/openapi.yaml
    .venv/bin/python -m openapi.generate --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path
from typing import Any

import yaml

from push_common.push.request import PushRequest

DOC = Path(__file__).resolve().parent / "openapi.yaml"
REF_TEMPLATE = "#/components/schemas/{model}"
GENERATED = "x-generated-schemas"


def push_schemas() -> dict[str, Any]:
    """Schema name -> JSON Schema of `PushRequest` and every model it references."""
    schema = PushRequest.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
    defs: dict[str, Any] = schema.pop("$defs", {})
    return {name: _strip_titles(s) for name, s in {**defs, "PushRequest": schema}.items()}


def _strip_titles(node: Any, *, properties_map: bool = False) -> Any:
    """Drop pydantic's generated `title`s (noise), keeping properties that are called `title`."""
    if isinstance(node, list):
        return [_strip_titles(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: _strip_titles(value, properties_map=key == "properties" and not properties_map)
        for key, value in node.items()
        if properties_map or key != "title"
    }


def build(doc: dict[str, Any]) -> dict[str, Any]:
    """`doc` with its generated schemas replaced by freshly generated ones."""
    out = copy.deepcopy(doc)
    components = out.setdefault("components", {})
    stale = set(components.get(GENERATED, ()))
    kept = {k: v for k, v in components.get("schemas", {}).items() if k not in stale}
    fresh = push_schemas()
    components["schemas"] = {**kept, **fresh}
    components[GENERATED] = list(fresh)
    return out


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text, so descriptions stay readable in the file."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def render(doc: dict[str, Any]) -> str:
    """The document as YAML text, keys in document order."""
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def load(path: Path = DOC) -> dict[str, Any]:
    """The committed document."""
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    """Rewrite the document, or with `--check` report whether it is stale (exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail instead of writing")
    args = parser.parse_args(argv)
    current = load()
    fresh = build(current)
    if args.check:
        stale = fresh != current
        print(f"{DOC.name}: {'stale, run python -m openapi.generate' if stale else 'up to date'}")
        return int(stale)
    DOC.write_text(render(fresh), "utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

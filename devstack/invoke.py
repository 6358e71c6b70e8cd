"""`python -m devstack.invoke <LogicalId> <event-file>`: a docker-free `sam local invoke`.

Starts the same backends as the stack, runs the function once in this process with the
template's environment, prints the result as JSON on stdout (logs go to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from devstack.backends import Backends
from devstack.config import StackConfig
from devstack.lambda_env import function_env
from devstack.template import TEMPLATE, functions, load_template
from devstack.workers import make_context, run_handler


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def invoke(logical_id: str, event: Any, template_path: Path = TEMPLATE) -> tuple[bool, Any]:
    """(ok, result or Lambda error shape) of one in-process invocation against fresh backends."""
    template = load_template(template_path)
    specs = functions(template)
    if logical_id not in specs:
        raise SystemExit(f"unknown function {logical_id!r}; template has: {', '.join(specs)}")
    spec = specs[logical_id]
    config = StackConfig.from_env(os.environ)
    backends = Backends(config, template, _log)
    backends.start()
    try:
        env = function_env(
            spec, backends.names, backends.aws_env, config.function_overrides, os.environ
        )
        os.environ.clear()
        os.environ.update(env)
        with contextlib.redirect_stdout(sys.stderr):
            try:
                return True, run_handler(spec.module, event, make_context(spec, config.region))
            except Exception as exc:
                _log(f"[{logical_id}] raised {exc!r}")
                return False, {"errorType": type(exc).__name__, "errorMessage": str(exc)}
    finally:
        backends.stop()


def main(argv: list[str] | None = None) -> int:
    """Exit 0 with the result on stdout; 1 (with Lambda's error shape) if the handler raised."""
    parser = argparse.ArgumentParser(prog="python -m devstack.invoke", description=__doc__)
    parser.add_argument("function", help="logical id in template.yaml, e.g. PushApiFunction")
    parser.add_argument("event", type=Path, help="event JSON file, e.g. events/push_api_post.json")
    parser.add_argument("--template", type=Path, default=TEMPLATE, help="default: template.yaml")
    args = parser.parse_args(argv)
    event = json.loads(args.event.read_text(encoding="utf-8"))
    ok, result = invoke(args.function, event, args.template)
    print(json.dumps(result, indent=2, ensure_ascii=False), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

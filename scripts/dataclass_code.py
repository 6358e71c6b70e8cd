"""Record the built layer's precompiled dataclass methods (docs/decisions.md §24).

`python scripts/dataclass_code.py` (run by scripts/build.sh with the dev venv's Python, after
the `.pyc` are compiled): in a fresh process laid out as Lambda lays it out (bench/lambda_layout.py:
the built layer, the runtime's boto3, a host overlay for pydantic_core), import every handler
and every module of push_common while `push_common.dataclass_code.recording()` collects the
code of each dataclass created, then write it into the layer next to the module that serves it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lambda_layout import BUILD, LAYER_PYTHON, OVERLAY, RUNTIME, prepare  # noqa: E402

CHILD = """
import sys
from pathlib import Path
from push_common import dataclass_code

seen = dataclass_code.record_handlers(sorted(Path(sys.argv[1]).glob("*Function/handler.py")))
dataclass_code.write(seen)
print(len(seen), dataclass_code.CACHE_FILE)
"""


def main() -> None:
    prepare()  # the host overlay for the layer's native packages
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(p) for p in (OVERLAY, LAYER_PYTHON, RUNTIME)),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-1"),
        "POWERTOOLS_METRICS_NAMESPACE": "build",  # handlers build their Metrics at import
    }
    out = subprocess.run(
        [sys.executable, "-S", "-c", CHILD, str(BUILD)],
        env=env,
        cwd=BUILD,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        sys.exit(f"build: recording dataclass code failed:\n{out.stderr[-4000:]}")
    count, path = out.stdout.split()
    written = Path(path)
    if written.parent != LAYER_PYTHON / "push_common":
        sys.exit(f"build: dataclass code went to {written}, not into the layer")
    print(f"build: {count} dataclass method sets precompiled -> {written.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

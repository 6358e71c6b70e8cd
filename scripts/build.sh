#!/usr/bin/env bash
# Docker-free `sam build` of template.yaml into .aws-sam/build, ready for `sam deploy`.
#
# - SAM CLI lives in its own venv (.venv-sam, pinned in requirements-sam.txt): its pins clash
#   with the dev tools in .venv.
# - The arm64 layer builds on any host without Docker: SAM's python pip workflow downloads
#   manylinux aarch64 wheels for the target (`pip download --platform ... --only-binary`), so only
#   PyPI is needed. It does need a real python3.13 on PATH, which pyenv does not provide.
# - SAM ships no .pyc and Lambda's /opt and /var/task are read-only, so without precompiling every
#   cold start would compile pydantic & co. again (docs/architecture.md §10).
# Extra arguments go to `sam build` (e.g. `scripts/build.sh --no-cached`).
set -euo pipefail
cd "$(dirname "$0")/.."

SAM_VENV="${SAM_VENV:-.venv-sam}"
BUILD_DIR=.aws-sam/build
LAYER_MAX_BYTES=$((10 * 1024 * 1024))
FUNCTION_MAX_BYTES=$((50 * 1024))

python="$(scripts/find-python.sh)"
stamp="$SAM_VENV/.installed-$(sha256sum requirements-sam.txt | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  echo "build: installing SAM CLI into $SAM_VENV"
  "$python" -m venv "$SAM_VENV"
  "$SAM_VENV/bin/pip" install -q --disable-pip-version-check -r requirements-sam.txt \
    2> >(grep -v "is ignored: it is neither" >&2)
  touch "$stamp"
fi

export PATH="$(dirname "$python"):$PATH"
export SAM_CLI_TELEMETRY=0
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-southeast-1}"
start=$SECONDS

"$SAM_VENV/bin/sam" validate --lint
# SnapStart needs published versions: every trigger of the push functions must invoke the alias.
"$SAM_VENV/bin/python" scripts/snapstart_wiring.py template.yaml >/dev/null
"$SAM_VENV/bin/sam" build --build-dir "$BUILD_DIR" "$@"
"$python" -m compileall -q --invalidation-mode unchecked-hash \
  "$BUILD_DIR"/CommonLayer/python "$BUILD_DIR"/*Function

# Dataclass methods are compiled at import too (~1 ms a class); record them into the layer.
# It needs a Python that can load the layer's packages: the dev venv's (make build runs make dev).
"${VENV:-.venv}/bin/python" scripts/dataclass_code.py

rm -f "$BUILD_DIR"/CommonLayer/python/{pyproject.toml,requirements.txt}  # build inputs, not code
if compgen -G "$BUILD_DIR/CommonLayer/python/boto*" >/dev/null; then
  echo "build: boto3/botocore ended up in the layer; the Lambda runtime provides them" >&2
  exit 1
fi

"$python" - "$BUILD_DIR" "$LAYER_MAX_BYTES" "$FUNCTION_MAX_BYTES" <<'EOF'
"""Print the zipped size of every built artifact; fail when one exceeds its budget."""
import io
import sys
import zipfile
from pathlib import Path

build, layer_max, function_max = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
over = []
for artifact in sorted(p for p in build.iterdir() if p.is_dir()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(artifact.rglob("*")):
            archive.write(path, path.relative_to(artifact))
    size = buffer.tell()
    budget = layer_max if artifact.name.endswith("Layer") else function_max
    print(f"build: {artifact.name:<22} {size / 1024:>9.1f} KiB zipped (budget {budget // 1024} KiB)")
    if size > budget:
        over.append(artifact.name)
if over:
    sys.exit(f"build: over budget: {', '.join(over)}")
EOF

echo "build: done in $((SECONDS - start)) s -> $BUILD_DIR"

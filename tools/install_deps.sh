#!/usr/bin/env bash
# Install mmskd and the OpenMMLab stack into a virtual environment.
#
# Usage: bash tools/install_deps.sh [VENV_DIR]      (default: .venv)
#
# - torch: TORCH_SPEC (default torch==2.13.0), skipped if the venv has torch.
#   On a machine whose pip would pull a CUDA build, set e.g.
#   PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu for a CPU build.
# - mmcv 2.1.0: from ../shared/wheelhouse (or MMCV_WHEELHOUSE) when present,
#   otherwise built from the PyPI sdist (~20 min on 2 cores), which needs
#   setuptools<70 and --no-build-isolation.
# - mmengine, mmsegmentation, mmdet, mmrazor, openmim and build (the
#   packaging tests) and mmskd itself (editable; setup.py links configs,
#   tools and model-index.yml into mmskd/.mim for mim).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-$ROOT/.venv}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
WHEELHOUSE=${MMCV_WHEELHOUSE:-$ROOT/../shared/wheelhouse}

[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check)

if ! "$VENV/bin/python" -c 'import torch' 2>/dev/null; then
    "${PIP[@]}" "$TORCH_SPEC"
fi
"${PIP[@]}" -r "$ROOT/requirements/build.txt"
FIND_LINKS=()
if [ -d "$WHEELHOUSE" ]; then
    FIND_LINKS=(--find-links "$WHEELHOUSE")
fi
if ! "$VENV/bin/python" -c 'import mmcv.ops' 2>/dev/null; then
    MMCV_WITH_OPS=1 "${PIP[@]}" --no-build-isolation "${FIND_LINKS[@]}" \
        "mmcv==2.1.0"
fi
"${PIP[@]}" -r "$ROOT/requirements/runtime.txt" \
    -r "$ROOT/requirements/mminstall.txt" -r "$ROOT/requirements/tests.txt" \
    -r "$ROOT/requirements/optional.txt"
"${PIP[@]}" --no-build-isolation --no-deps -e "$ROOT"
"$VENV/bin/python" -c 'import mmskd, mmcv.ops; print("mmskd", mmskd.__version__, "ready")'

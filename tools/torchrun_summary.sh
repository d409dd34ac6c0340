#!/usr/bin/env bash
# Sourced by dist_train.sh and dist_test.sh: torchrun_with_summary SCRIPT
# NPROC [ARGS...] runs SCRIPT under torchrun and, when a rank fails, prints
# that rank's error as the last line(s), below torch's ChildFailedError
# report, where it cannot scroll away among the other ranks' logs.

torchrun_with_summary() {
    local script=$1 nproc=$2
    # torchrun copies the first failing rank's error (recorded by the
    # @record-decorated main of tools/train.py and tools/test.py) into
    # TORCHELASTIC_ERROR_FILE; the file must not exist beforehand.
    local error_dir
    error_dir=$(mktemp -d)
    local error_file="$error_dir/error.json"
    TORCHELASTIC_ERROR_FILE="$error_file" python -m torch.distributed.run \
        --nnodes="${NNODES:-1}" \
        --node_rank="${NODE_RANK:-0}" \
        --master_addr="${MASTER_ADDR:-127.0.0.1}" \
        --nproc_per_node="$nproc" \
        --master_port="${PORT:-29500}" \
        "$script" "${@:3}"
    local status=$?
    if [ $status -ne 0 ] && [ -s "$error_file" ]; then
        python - "$script" "$error_file" >&2 <<'PYTHON'
import json
import sys

script, error_file = sys.argv[1:]
with open(error_file) as file:
    message = json.load(file)['message']
if isinstance(message, dict):
    message = message['message']
print(f'{script} failed: {message}')
PYTHON
    fi
    rm -rf "$error_dir"
    return $status
}

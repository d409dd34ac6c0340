#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT GPUS [ARGS...]
# Runs tools/test.py under torchrun; without CUDA the processes use gloo on
# CPU. A failing rank's error is printed last (tools/torchrun_summary.sh).
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
TOOLS=$(dirname "$0")

source "$TOOLS/torchrun_summary.sh"
torchrun_with_summary "$TOOLS/test.py" "$GPUS" \
    "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"

#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG GPUS [ARGS...]
# Runs tools/train.py under torchrun; without CUDA the processes use gloo on
# CPU. A failing rank's error is printed last (tools/torchrun_summary.sh).
CONFIG=$1
GPUS=$2
TOOLS=$(dirname "$0")

source "$TOOLS/torchrun_summary.sh"
torchrun_with_summary "$TOOLS/train.py" "$GPUS" \
    "$CONFIG" --launcher pytorch "${@:3}"

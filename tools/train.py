# Copyright (c) mmskd contributors. All rights reserved.
"""Train a distilled student (or any OpenMMLab model) from a config."""
import argparse
import logging
import os

from mmengine.config import DictAction
from mmengine.logging import print_log
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.distributed.elastic.multiprocessing.errors import record

from mmskd.models.utils.remote_checkpoints import naming_config_keys
from mmskd.utils import (allow_mmengine_checkpoints, enable_amp,
                         end_distributed_run, load_config, prepare_resume,
                         setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train with mmskd')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        default=False,
        help='resume from the latest checkpoint in the work_dir (the '
        'previous one, with a warning, if the latest cannot be read)')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, in xxx=yyy format')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch >= 2.0 passes `--local-rank` to the script.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


# Under torchrun, the failing rank's exception goes to the launcher's
# ChildFailedError report (and the dist_*.sh summary line) instead of
# scrolling away above it.
@record
def main() -> None:
    args = parse_args()
    allow_mmengine_checkpoints()
    cfg = load_config(args.config, args.cfg_options, args.launcher,
                      args.work_dir)
    if args.amp:
        enable_amp(cfg)
    cfg.resume = args.resume
    # The latest readable checkpoint (a truncated one is passed over with a
    # warning) and, for a run without a fixed seed, the checkpoint's seed.
    prepare_resume(cfg)
    if setup_cpu_distributed(cfg, args.launcher):
        print_log(
            'No CUDA device: training on CPU.',
            logger='current',
            level=logging.WARNING)

    # A model-zoo download that fails offline names the key to set.
    with naming_config_keys(cfg):
        runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
            else RUNNERS.build(cfg)
        runner.train()
    end_distributed_run()


if __name__ == '__main__':
    main()

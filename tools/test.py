# Copyright (c) mmskd contributors. All rights reserved.
"""Evaluate a checkpoint (a distilled student or any OpenMMLab model).

A distillation config's checkpoint holds its teacher, so the algorithm is
built without reading ``teacher_ckpt`` (no model-zoo download). A checkpoint
that does not hold exactly the config's model is refused before testing,
naming what does not fit, instead of scoring a partly random model.
"""
import argparse
import os

from mmengine.config import DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.distributed.elastic.multiprocessing.errors import record

from mmskd.models.utils.checkpoint import (check_model_checkpoint,
                                           read_model_checkpoint,
                                           teacher_weights_from_checkpoint)
from mmskd.models.utils.remote_checkpoints import naming_config_keys
from mmskd.utils import (allow_mmengine_checkpoints, end_distributed_run,
                         load_config, setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test with mmskd')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save logs and metrics')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file')
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
    cfg.load_from = args.checkpoint
    if args.out is not None:
        cfg.test_evaluator = [
            *(cfg.test_evaluator if isinstance(cfg.test_evaluator, list) else
              [cfg.test_evaluator]),
            dict(type='DumpResults', out_file_path=args.out)
        ]
    setup_cpu_distributed(cfg, args.launcher)
    with naming_config_keys(cfg):
        with teacher_weights_from_checkpoint():
            runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
                else RUNNERS.build(cfg)
        # Read once more by the runner, through its hooks; a fit checked
        # here refuses a random model before any image is evaluated.
        check_model_checkpoint(runner.model,
                               read_model_checkpoint(args.checkpoint),
                               args.checkpoint, args.config)
        runner.test()
    end_distributed_run()


if __name__ == '__main__':
    main()

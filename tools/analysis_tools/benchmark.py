# Copyright (c) mmskd contributors. All rights reserved.
"""Time a distillation step against its floor: student step + teacher forward.

Example (CONFIG e.g. configs/cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_
4xb2-80k_cityscapes-512x1024.py, or a detection config such as
configs/cwd/cwd_fpn_retinanet_r101_retinanet_r50_2x_coco.py)::

    python tools/analysis_tools/benchmark.py CONFIG --device cuda \\
        --batch 2 --shape 512 1024 --compare-mmrazor --out speed.json
    python tools/analysis_tools/benchmark.py CONFIG --tiny --shape 64 128 \\
        --iters 5

The measuring is :mod:`mmskd.benchmark`; this is its command line.
"""
import argparse
import json
import sys

import torch
from mmengine.config import DictAction

from mmskd.benchmark import format_report, run_benchmark
from mmskd.utils.launch import allow_mmengine_checkpoints

DESCRIPTION = """\
Build the config's distillation algorithm, feed it one synthetic batch
(random uint8 images with label maps for segmentation, or with a few random
boxes and labels per image for detection, through the model's data
preprocessor) and report the median and minimum time of --iters iterations
(after --warmup) and the peak memory of:
  (a) the student's train step alone (its own optimizer wrapper),
  (b) the teacher's forward (no_grad; mode='tensor' or extract_feat, as the
      algorithm runs it),
  (c) the full distillation step (algorithm.train_step with the config's
      optim_wrapper, critic update included when the algorithm has one),
  (d) with --compare-mmrazor: mmrazor's SingleTeacherDistill with the same
      models and recorders and the losses mmrazor has,
and the ratios c / (a + b) and d / (a + b). The phases run interleaved (one
call of each per round) unless --sequential, so that load from other
processes hits them alike. Memory is the peak of each call: on CUDA
torch.cuda.max_memory_allocated; on CPU the process's peak RSS (coarse).
A teacher_ckpt URL that is not in the torch hub cache is replaced by None
(timing does not need real weights)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'config',
        nargs='?',
        help='distillation config (optional with --pairwise-probe alone)')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[512, 1024],
        metavar=('H', 'W'),
        help='image height and width (default: 512 1024)')
    parser.add_argument(
        '--batch',
        type=int,
        default=2,
        help='images per batch, also of the pair-wise probe (default: 2)')
    parser.add_argument(
        '--device',
        choices=['cpu', 'cuda'],
        default='cpu',
        help='where to run (default: cpu)')
    parser.add_argument(
        '--iters',
        type=int,
        default=20,
        help='timed iterations per phase (default: 20)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=5,
        help='untimed iterations before them (default: 5)')
    parser.add_argument(
        '--sequential',
        action='store_true',
        help='run all iterations of one phase before the next (default: '
        'interleaved rounds)')
    parser.add_argument(
        '--threads',
        type=int,
        help='CPU threads for torch (torch.set_num_threads; default: '
        "torch's)")
    parser.add_argument(
        '--amp',
        action='store_true',
        help='mixed precision: torch.autocast bf16 on CPU; fp16 with '
        'AmpOptimWrapper (dynamic loss scale) on CUDA')
    parser.add_argument(
        '--tiny',
        action='store_true',
        help='shrink the models to the tiny preset the test suite trains '
        '(mmskd.benchmark.tiny): a fast CPU/CI run')
    parser.add_argument(
        '--compare-mmrazor',
        action='store_true',
        help="also time mmrazor's SingleTeacherDistill with the losses "
        'mmrazor has')
    parser.add_argument(
        '--pairwise-probe',
        action='store_true',
        help='also time PairWiseAffinityLoss fwd+bwd on the global graph '
        'against the explicit NxN affinity (skipped where NxN does not fit)')
    parser.add_argument(
        '--probe-grid',
        type=int,
        nargs=2,
        default=[64, 128],
        metavar=('H', 'W'),
        help='node grid of the pair-wise probe (default: 64 128)')
    parser.add_argument(
        '--probe-channels',
        type=int,
        nargs=2,
        default=[128, 512],
        metavar=('CS', 'CT'),
        help='student and teacher feature channels of the probe '
        '(default: 128 512)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, in xxx=yyy format')
    parser.add_argument('--out', help='write the results as JSON here')
    args = parser.parse_args(argv)
    if args.config is None and not args.pairwise_probe:
        parser.error('give a CONFIG, --pairwise-probe, or both')
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    allow_mmengine_checkpoints()
    if args.threads:
        torch.set_num_threads(args.threads)
    report = run_benchmark(
        args.config,
        shape=args.shape,
        batch=args.batch,
        device=args.device,
        iters=args.iters,
        warmup=args.warmup,
        amp=args.amp,
        tiny=args.tiny,
        cfg_options=args.cfg_options,
        compare_mmrazor=args.compare_mmrazor,
        interleave=not args.sequential,
        pairwise=args.pairwise_probe,
        probe_grid=args.probe_grid,
        probe_channels=args.probe_channels,
        log=lambda message: print(message, file=sys.stderr, flush=True))
    print(format_report(report))
    if args.out:
        with open(args.out, 'w') as out:
            json.dump(report, out, indent=2)


if __name__ == '__main__':
    main()

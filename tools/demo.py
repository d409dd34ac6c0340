# Copyright (c) mmskd contributors. All rights reserved.
"""The CPU demo (README's main job): does distillation help a small student?

    python tools/demo.py [--seed S] [--work-dir D] [--iters N]
        [--teacher-iters N] [--num-labelled N] [--num-train N] [--num-val N]
        [--smoke]

1. writes the scenes (``mmskd.demo.scenes``, deterministic from ``--seed``)
   in the Cityscapes layout and copies the images of those after the first
   ``--num-labelled`` to leftImg8bit/unlabelled;
2. trains the teacher on all training scenes with their labels in two DDP
   processes (gloo, 4 images each); then, side by side on one core each,
   the student distilled from it (pixel-wise, pair-wise, holistic and
   channel-wise terms) on the labelled few followed by the student alone on
   them, and the distilled student with the unlabelled images added;
3. prints a Markdown table of the four models' mIoU (each run validates its
   last checkpoint as it ends), the gains and the time, and draws their
   predictions on the first validation scenes into ``predictions.png``.

Every run is ``tools/train.py`` on a config of configs/demo/ as a user runs
it (the teacher's as torchrun with ``--launcher pytorch``), one thread per
process; only the data root, the seed, the teacher checkpoint, the teacher's
per-process batch and the options above go in as ``--cfg-options``. On one
core the runs go one after another, the teacher in one process. The table
also goes to ``WORK_DIR/results.json``, the progress to ``demo.log``. The
work is done by ``mmskd.demo.run_demo``.
"""
import argparse
import os.path as osp
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args() -> argparse.Namespace:
    """The command line; ``--smoke`` sets the sizes of a quick check.

    Returns:
        argparse.Namespace: The options, ``work_dir`` made absolute.
    """
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    integer_options = (
        ('--seed', 0, 'seed of the dataset and of the runs'),
        ('--iters', None, 'training iterations of each student run (the '
         'student config\'s train_cfg.max_iters if not given)'),
        ('--teacher-iters', None, 'training iterations of the teacher (the '
         'teacher config\'s train_cfg.max_iters if not given)'),
        ('--num-train', 500, 'generated training scenes'),
        ('--num-val', 100, 'generated validation scenes'),
        ('--num-labelled', None, 'training scenes whose labels the students '
         'see (the student config\'s num_labelled, its '
         'train_dataloader.dataset.indices, if not given); the teacher '
         'sees all'),
    )
    for flag, default, text in integer_options:
        parser.add_argument(
            flag, type=int, default=default,
            help=text if default is None else f'{text} (default: {default})')
    parser.add_argument(
        '--work-dir',
        help='where data, logs and checkpoints go '
        '(default: work_dirs/demo_seed<SEED>)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a check that everything runs, in about a minute: 2 '
        'iterations, 8 training scenes (4 labelled) and 4 validation '
        'scenes (the numbers mean nothing)')
    args = parser.parse_args()
    if args.smoke:
        args.iters, args.teacher_iters = 2, 2
        args.num_train, args.num_val = 8, 4
        args.num_labelled = 4
    if args.work_dir is None:
        name = 'demo_smoke' if args.smoke else f'demo_seed{args.seed}'
        args.work_dir = osp.join('work_dirs', name)
    args.work_dir = osp.abspath(args.work_dir)
    return args


def main() -> None:
    args = parse_args()
    start = time.time()
    from mmskd.demo import DemoSettings, format_summary, run_demo
    settings = DemoSettings(
        work_dir=args.work_dir,
        seed=args.seed,
        iters=args.iters,
        teacher_iters=args.teacher_iters,
        num_train=args.num_train,
        num_val=args.num_val,
        num_labelled=args.num_labelled)
    results = run_demo(settings, root=ROOT, start=start)
    print(format_summary(results, args.work_dir))


if __name__ == '__main__':
    main()

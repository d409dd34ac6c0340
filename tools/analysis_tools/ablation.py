# Copyright (c) mmskd contributors. All rights reserved.
"""Run the papers' ablation tables at the demo's scale.

    python tools/analysis_tools/ablation.py --list
    python tools/analysis_tools/ablation.py skd [graphs cwd ka depth ...]
        [--seeds 0 1 2 3 4] [--work-dir work_dirs/ablation] [--smoke]

Each table's rows are configs (the student trained alone first) trained
with ``tools/train.py`` on generated data (the demo's scenes; rooms with
depth for the table ``depth``) from the table's teacher, once per seed, as
many side by side as there are cores (one thread each); each distilled
row's cost is ``tools/analysis_tools/benchmark.py`` on a training batch.
The tables are printed and written to ``WORK_DIR/TABLE.md`` and
``TABLE.json``. Run the same command again to
continue a table that was stopped: finished runs are kept, a stopped one
resumes from its last checkpoint. The work is :mod:`mmskd.ablation`'s.
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    """The command line; ``--smoke`` sets the sizes of a quick check."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('tables', nargs='*', help='tables to run (--list)')
    parser.add_argument(
        '--list', action='store_true', help='name the tables and stop')
    parser.add_argument(
        '--seeds',
        type=int,
        nargs='+',
        default=[0, 1, 2, 3, 4],
        help='seeds of every row (default: 0 1 2 3 4)')
    parser.add_argument(
        '--work-dir',
        help='where data, runs and tables go (default: work_dirs/ablation, '
        'work_dirs/ablation_smoke with --smoke)')
    parser.add_argument(
        '--smoke',
        action='store_true',
        help='a check that every row runs: 2 iterations (a checkpoint '
        'after each; an earlier phase 1 epoch), 8 training images (4 '
        'labelled), 4 validation images, '
        'seed 0 alone (whatever --seeds says), a one-iteration benchmark '
        '(the numbers mean nothing)')
    args = parser.parse_args()
    if args.work_dir is None:
        args.work_dir = osp.join(
            'work_dirs', 'ablation_smoke' if args.smoke else 'ablation')
    args.work_dir = osp.abspath(args.work_dir)
    return args


def main() -> None:
    args = parse_args()
    from mmskd.ablation import TABLES, AblationRunner, AblationSettings
    if args.list or not args.tables:
        for table in TABLES.values():
            print(f'{table.name:8s} {table.title} ({table.source}; '
                  f'{len(table.rows)} rows)')
        if not args.list:
            sys.exit('Name the tables to run (above).')
        return
    unknown = [name for name in args.tables if name not in TABLES]
    if unknown:
        sys.exit(f'No table {", ".join(unknown)}; the tables are '
                 f'{", ".join(TABLES)} (--list).')
    settings = AblationSettings(work_dir=args.work_dir, seeds=args.seeds)
    if args.smoke:
        settings.seeds = [0]
        settings.iters = settings.teacher_iters = 2
        settings.phase_epochs = 1
        settings.num_train, settings.num_val = 8, 4
        settings.num_labelled = 4
        settings.cost_iters, settings.cost_warmup = 1, 0
        # One process a teacher, for the suite's time: the two of the real
        # tables (torchrun, the batch split) are checked without running in
        # tests/test_ablation/test_runner.py; the demo's smoke runs such a
        # teacher.
        settings.teacher_processes = 1
        settings.checkpoint_interval = 1
    from mmskd.ablation import format_table
    from mmskd.utils import allow_mmengine_checkpoints

    # The benchmarks load the teacher's checkpoint, which the user trained.
    allow_mmengine_checkpoints()
    summaries = AblationRunner(
        settings, root=ROOT).run([TABLES[name] for name in args.tables])
    for summary in summaries.values():
        print('\n' + format_table(summary))
    print(f'\nTables, runs and logs: {args.work_dir}')


if __name__ == '__main__':
    main()

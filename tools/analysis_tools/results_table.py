# Copyright (c) mmskd contributors. All rights reserved.
"""Print the Markdown results table of finished distillation runs.

    python tools/analysis_tools/results_table.py work_dirs/cwd_fea_pspnet_* \
        work_dirs/skd_*

For each work dir it takes the last validation score in the run's logs
(``<timestamp>/vis_data/scalars.json``, or the ``<timestamp>.json`` that
mmengine's LoggerHook writes beside it), finds the run's entry in the
metafiles that ``model-index.yml`` imports (by config name: the config
mmengine dumps into the work dir, else the work dir's name), and prints

    | config | teacher | student | distilled | Δ | target |

with the teacher's and the student's model-zoo scores from the entry's
Metadata, Δ = distilled - student, and the entry's goal line (``Target`` and
``Minimum`` of its Results), marked ✓ (target reached), ≈ (minimum reached)
or ✗. Segmentation runs report mIoU; detection runs COCO box AP (mmdet logs
``coco/bbox_mAP`` as a fraction; the table shows percent like the metafiles);
depth runs the relative error ``rel`` (mmseg's ``abs_rel``), where lower is
better and a goal is met at or below its line.
"""
import argparse
import glob
import os.path as osp
import sys
from typing import Dict, List, Optional, Tuple

import yaml

from mmskd.utils import log_records

# The repository root (tools/analysis_tools/..), where model-index.yml is.
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# Metric name in the metafiles -> (its key in mmengine's logs, the factor
# that brings the logged value to the metafile's unit).
METRICS = {
    'mIoU': ('mIoU', 1.0),
    'box AP': ('coco/bbox_mAP', 100.0),
    'rel': ('abs_rel', 1.0),
}
LOWER_IS_BETTER = ('rel', )
# Decimals shown per metric (2 unless listed).
DECIMALS = {'rel': 3}
COLUMNS = ('config', 'teacher', 'student', 'distilled', 'Δ', 'target')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        'work_dirs', nargs='+', help='work dirs of finished runs')
    parser.add_argument(
        '--model-index',
        default=osp.join(REPO, 'model-index.yml'),
        help='the model index whose metafiles describe the configs '
        '(default: %(default)s)')
    return parser.parse_args()


def load_model_index(path: str) -> Dict[str, dict]:
    """Metafile entries by name, from the metafiles a model index imports.

    Args:
        path (str): ``model-index.yml``.

    Returns:
        dict: ``Name`` -> the entry. A listed metafile that does not exist
        (yet) is skipped with a warning.
    """
    with open(path) as file:
        index = yaml.safe_load(file) or {}
    entries = {}
    for relative in index.get('Import', []):
        metafile = osp.join(osp.dirname(path), relative)
        if not osp.isfile(metafile):
            print(f'warning: {metafile} (listed in {path}) does not exist',
                  file=sys.stderr)
            continue
        with open(metafile) as file:
            for entry in (yaml.safe_load(file) or {}).get('Models') or []:
                entries[entry['Name']] = entry
    return entries


def run_name(work_dir: str) -> str:
    """The config name of a run: the config dumped into its work dir."""
    dumped = glob.glob(osp.join(work_dir, '*.py'))
    if len(dumped) == 1:
        return osp.splitext(osp.basename(dumped[0]))[0]
    return osp.basename(osp.normpath(work_dir))


def last_score(work_dir: str,
               metrics: List[str]) -> Tuple[Optional[str], Optional[float]]:
    """The metric and value of the last validation of a work dir.

    Args:
        work_dir (str): The run's work dir.
        metrics (list[str]): Metafile metric names to look for, in order.

    Returns:
        tuple: (metric name, value in the metafile's unit), or (None, None)
        if no validation was logged. A resumed run that validated the same
        iteration twice counts its later record.
    """
    best = None
    for order, record in enumerate(log_records(work_dir)):
        for metric in metrics:
            key, scale = METRICS[metric]
            if key in record:
                rank = (record.get('step', 0), order)
                if best is None or rank >= best[0]:
                    best = (rank, metric, float(record[key]) * scale)
                break
    return (best[1], best[2]) if best else (None, None)


def entry_metric(entry: dict) -> Optional[str]:
    """The metric a metafile entry reports (``mIoU``, ``box AP`` or
    ``rel``): the one its teacher, its student or its goal lines name."""
    metadata = entry.get('Metadata') or {}
    named = set()
    for role in ('Teacher', 'Student'):
        named |= set((metadata.get(role) or {}).get('Metrics') or {})
    for result in entry.get('Results') or []:
        for key in result.get('Metrics') or {}:
            named.add(key.split(' ', 1)[-1])
    return next((metric for metric in METRICS if metric in named), None)


def zoo_score(entry: dict, role: str, metric: str) -> Optional[float]:
    """The model-zoo score of the entry's ``Teacher`` or ``Student``."""
    model = (entry.get('Metadata') or {}).get(role) or {}
    return (model.get('Metrics') or {}).get(metric)


def goal(entry: dict, metric: str) -> Tuple[Optional[float], Optional[float]]:
    """The entry's (target, minimum) for ``metric``."""
    for result in entry.get('Results') or []:
        metrics = result.get('Metrics') or {}
        target = metrics.get(f'Target {metric}')
        minimum = metrics.get(f'Minimum {metric}')
        if target is not None or minimum is not None:
            return target, minimum
    return None, None


def number(value: Optional[float],
           signed: bool = False,
           decimals: int = 2) -> str:
    if value is None:
        return '-'
    return f'{value:+.{decimals}f}' if signed else f'{value:.{decimals}f}'


def goal_text(distilled: Optional[float],
              target: Optional[float],
              minimum: Optional[float],
              metric: str = 'mIoU') -> str:
    """``target (min minimum) mark``; the mark says which line was met
    (at or above it, or at or below it for a lower-is-better metric)."""
    if target is None and minimum is None:
        return '-'
    decimals = DECIMALS.get(metric, 2)

    def met(line: Optional[float]) -> bool:
        if line is None:
            return False
        return distilled <= line if metric in LOWER_IS_BETTER \
            else distilled >= line

    parts = [number(target, decimals=decimals)] if target is not None else []
    if minimum is not None:
        parts.append(f'(min {number(minimum, decimals=decimals)})')
    if distilled is not None:
        parts.append('✓' if met(target) else '≈' if met(minimum) else '✗')
    return ' '.join(parts)


def table_row(work_dir: str, entries: Dict[str, dict]) -> List[str]:
    """The table cells of one work dir."""
    name = run_name(work_dir)
    entry = entries.get(name)
    if entry is None:
        print(f'warning: {name} ({work_dir}) has no metafile entry',
              file=sys.stderr)
        metric, distilled = last_score(work_dir, list(METRICS))
        return [
            name, '-', '-',
            number(distilled, decimals=DECIMALS.get(metric, 2)), '-', '-'
        ]
    metric = entry_metric(entry) or 'mIoU'
    _, distilled = last_score(work_dir, [metric])
    if distilled is None:
        print(f'warning: {work_dir} logged no {metric} yet', file=sys.stderr)
    teacher = zoo_score(entry, 'Teacher', metric)
    student = zoo_score(entry, 'Student', metric)
    delta = None if distilled is None or student is None \
        else distilled - student
    config = entry.get('Config', name)
    decimals = DECIMALS.get(metric, 2)
    return [
        f'[{name}]({config})',
        number(teacher, decimals=decimals),
        number(student, decimals=decimals),
        number(distilled, decimals=decimals),
        number(delta, signed=True, decimals=decimals),
        goal_text(distilled, *goal(entry, metric), metric=metric),
    ]


def markdown_table(rows: List[List[str]]) -> str:
    lines = ['| ' + ' | '.join(COLUMNS) + ' |',
             '|' + '|'.join(' --- ' for _ in COLUMNS) + '|']
    lines += ['| ' + ' | '.join(row) + ' |' for row in rows]
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    entries = load_model_index(args.model_index)
    rows = [table_row(work_dir, entries) for work_dir in args.work_dirs]
    print(markdown_table(rows))


if __name__ == '__main__':
    main()

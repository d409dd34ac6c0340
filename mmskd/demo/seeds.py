# Copyright (c) mmskd contributors. All rights reserved.
"""The Markdown table of several demo runs (seeds), as README shows it.

    for S in 0 1 2 3 4; do python tools/demo.py --seed $S; done
    python tools/analysis_tools/demo_seeds.py work_dirs/demo_seed*

Each work dir's ``results.json`` (written by :func:`mmskd.demo.run_demo`)
gives one row: the seed, the four models' mIoU, the two gains over the
student and the run's minutes. The last row is mean ± std over the runs (std
with n - 1), and under the table each gain is judged by the demo's
criterion: it *holds* when its mean is at least 3 standard deviations of the
gain above zero.
"""
import json
import os.path as osp
import statistics
from typing import Dict, List, Sequence, Tuple

# The models' keys in results.json.
MODELS = ('teacher', 'student', 'distilled', 'unlabelled')
# Gain column -> the model whose mIoU minus the student's it is.
GAINS = {'gain': 'distilled', 'gain + unlabelled': 'unlabelled'}
SIGMAS = 3  # a gain holds when its mean >= SIGMAS * its std


def load_run(work_dir: str) -> Dict[str, float]:
    """One row: seed, mIoU per model, gains and minutes of a demo run.

    Args:
        work_dir (str): A finished ``tools/demo.py`` run's work dir.

    Returns:
        dict: ``seed``, each of ``MODELS``, each of ``GAINS`` and
        ``minutes``.

    Raises:
        FileNotFoundError: If ``work_dir`` holds no ``results.json``.
    """
    path = osp.join(work_dir, 'results.json')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} does not exist: is {work_dir} the work dir of a '
            'finished tools/demo.py run?')
    with open(path) as file:
        results = json.load(file)
    miou = {row['key']: row['mIoU'] for row in results['rows']}
    row = dict(seed=results['seed'], **{key: miou[key] for key in MODELS})
    for gain, model in GAINS.items():
        row[gain] = miou[model] - miou['student']
    row['minutes'] = results['seconds']['total'] / 60
    return row


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation.

    Args:
        values (Sequence[float]): At least one value.

    Returns:
        tuple[float, float]: The mean and the std (n - 1; 0 for one value).
    """
    std = statistics.stdev(values) if len(values) > 1 else 0.
    return statistics.fmean(values), std


def format_seeds_table(rows: List[Dict[str, float]]) -> str:
    """The Markdown table of the runs and their mean ± std.

    Args:
        rows (list[dict]): Rows of :func:`load_run`, in the table's order.

    Returns:
        str: The table's lines.
    """
    columns = [*MODELS, *GAINS, 'minutes']
    lines = [
        '| seed | ' + ' | '.join(columns) + ' |',
        '| --- |' + ' ---: |' * len(columns),
    ]
    for row in rows:
        cells = [f'{row[key]:+.2f}' if key in GAINS else f'{row[key]:.2f}'
                 for key in columns[:-1]] + [f'{row["minutes"]:.1f}']
        lines.append(f'| {row["seed"]} | ' + ' | '.join(cells) + ' |')
    summary = []
    for key in columns:
        mean, std = mean_std([row[key] for row in rows])
        sign = '+' if key in GAINS else ''
        summary.append(f'{mean:{sign}.2f} ± {std:.2f}')
    lines.append('| mean ± std | ' + ' | '.join(summary) + ' |')
    return '\n'.join(lines)


def verdicts(rows: List[Dict[str, float]]) -> List[str]:
    """Whether each gain's mean is ``SIGMAS`` of its stds above zero.

    Args:
        rows (list[dict]): Rows of :func:`load_run`.

    Returns:
        list[str]: One line per gain: mean, std, their ratio and whether the
        criterion holds.
    """
    lines = []
    for gain in GAINS:
        mean, std = mean_std([row[gain] for row in rows])
        holds = mean > 0 and mean >= SIGMAS * std
        ratio = f'{mean / std:.1f}' if std else 'undefined (std 0)'
        lines.append(f'{gain}: mean {mean:+.2f}, std {std:.2f}, '
                     f'mean/std {ratio}: '
                     f'{"holds" if holds else "does not hold"} '
                     f'(criterion: mean >= {SIGMAS} std, {len(rows)} runs)')
    return lines


def seeds_report(work_dirs: Sequence[str]) -> str:
    """The table of several demo runs, sorted by seed, and the verdicts.

    Args:
        work_dirs (Sequence[str]): Work dirs of finished ``tools/demo.py``
            runs.

    Returns:
        str: The table, an empty line and one verdict line per gain (what
        ``tools/analysis_tools/demo_seeds.py`` prints).
    """
    rows = sorted((load_run(path) for path in work_dirs),
                  key=lambda row: row['seed'])
    return '\n'.join([format_seeds_table(rows), '', *verdicts(rows)])

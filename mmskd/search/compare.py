# Copyright (c) mmskd contributors. All rights reserved.
"""After a search: the network without an auxiliary module, with the
config's own module and with the searched one, each trained on the
config's whole training set and schedule at several seeds, and their
validation metric side by side (``search_aux.py --compare-seeds``)."""
import json
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from mmengine.config import Config

from mmskd.ablation.report import verdict
from mmskd.demo import (Job, available_cores, final_metric, run_queue,
                        train_command)
from mmskd.demo.seeds import mean_std
from .episodes import with_iterations, with_structure, without_auxiliary_module

RESULT = 'result.json'
# Row name -> what it trains.
ROWS = ('no auxiliary module', 'the config\'s module', 'searched module')


def row_dir(work_dir: str, row: str) -> str:
    """A row's folder, e.g. ``WORK_DIR/compare/searched_module``."""
    return osp.join(work_dir, row.replace(' ', '_').replace("'", ''))


def comparison_configs(cfg: Config, cells: Sequence) -> Dict[str, Config]:
    """The three rows' configs (without the ``search`` dict)."""
    own = Config(cfg.to_dict())
    own.pop('search', None)
    return dict(
        zip(ROWS, (without_auxiliary_module(cfg), own,
                   with_structure(cfg, cells))))


def compare(cfg: Config,
            cells: Sequence,
            seeds: Sequence[int],
            metric: str,
            work_dir: str,
            log: Callable[[str], None],
            iters: Optional[int] = None) -> Dict[str, Dict[int, float]]:
    """Train the rows at every seed (a run that wrote ``result.json`` is
    kept), as many side by side as there are cores.

    Args:
        cfg (Config): The search's config.
        cells (Sequence): The searched structure.
        seeds (Sequence[int]): The seeds of every row.
        metric (str): The validation metric compared.
        work_dir (str): ``WORK_DIR/compare``.
        log (Callable): Progress messages.
        iters (int, optional): Iterations of every run (the config's
            schedule if None).

    Returns:
        dict: Row -> seed -> the metric.
    """
    jobs: Dict[Job, str] = {}
    for row, row_cfg in comparison_configs(cfg, cells).items():
        folder = row_dir(work_dir, row)
        os.makedirs(folder, exist_ok=True)
        config = osp.join(folder, 'config.py')
        if iters is not None:
            row_cfg = with_iterations(row_cfg, iters)
        row_cfg.dump(config)
        for seed in seeds:
            run_dir = osp.join(folder, f'seed{seed}')
            if osp.isfile(osp.join(run_dir, RESULT)):
                continue
            os.makedirs(run_dir, exist_ok=True)
            job = Job(
                f'{row} seed {seed}',
                train_command(config, run_dir, {'randomness.seed': seed}),
                osp.join(run_dir, 'train.log'),
                threads=1)
            jobs[job] = run_dir

    def record(job: Job) -> None:
        value = final_metric(jobs[job], metric)
        with open(osp.join(jobs[job], RESULT), 'w') as file:
            json.dump({metric: value}, file)
        log(f'{job.tag}: {metric} {value:.2f}')

    log(f'{len(jobs)} comparison runs to go in {available_cores()} lane(s)')
    run_queue(list(jobs), available_cores(), record)
    results: Dict[str, Dict[int, float]] = {}
    for row in ROWS:
        folder = row_dir(work_dir, row)
        results[row] = {}
        for seed in seeds:
            with open(osp.join(folder, f'seed{seed}', RESULT)) as file:
                results[row][seed] = json.load(file)[metric]
    return results


def format_comparison(results: Dict[str, Dict[int, float]],
                      metric: str) -> str:
    """The rows' mean ± std and each row's gain over the network without
    a module and over the previous row, seed by seed."""
    seeds = sorted(results[ROWS[0]])
    lines: List[str] = [
        f'| row | {metric} | gain over no module | step over the row above |',
        '| --- | ---: | ---: | ---: |'
    ]
    for index, row in enumerate(ROWS):
        mean, std = mean_std([results[row][s] for s in seeds])
        cells = [f'{mean:.2f} ± {std:.2f}']
        for base in (ROWS[0], ROWS[index - 1]):
            if index == 0:
                cells.append('')
                continue
            diffs = [results[row][s] - results[base][s] for s in seeds]
            gain, gain_std = mean_std(diffs)
            cells.append(f'{gain:+.2f} ± {gain_std:.2f}, '
                         f'{verdict(gain, gain_std, len(seeds))}')
        lines.append(f'| {row} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)

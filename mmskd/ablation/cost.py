# Copyright (c) mmskd contributors. All rights reserved.
"""Each distilled row's cost: ``tools/analysis_tools/benchmark.py``'s
c / (a + b), the full distillation step over its floor (a student step
plus a teacher forward), on a training batch of the scenes."""
import json
import os
import os.path as osp
from typing import Callable, Dict, Sequence

import torch
from mmengine.logging import MMLogger

from .storage import config_stem, write_json
from .tables import Row

# A training batch of the generated images (labelled ones only).
COST_SHAPE, COST_BATCH = (128, 128), 8


def cost_file(work_dir: str, config: str) -> str:
    """Where a row's benchmark report goes (``WORK_DIR/cost/CONFIG.json``)."""
    return osp.join(work_dir, 'cost', config_stem(config) + '.json')


def measure_costs(rows: Dict[str, dict], config_path: Callable[[str], str],
                  work_dir: str, iters: int, warmup: int,
                  log: Callable[[str], None]) -> None:
    """Benchmark every row that has no report yet, one after another in
    this process, in one thread (as each training ran).

    mmengine's warnings while the models are built go to
    ``WORK_DIR/cost/benchmark.log``, not to the caller's log.

    Args:
        rows (dict): Each distilled row's config -> the checkpoints it is
            given (``--cfg-options``: the teacher's, any phase's).
        config_path (Callable): A row config -> its file.
        work_dir (str): The ablation's work dir.
        iters (int): Timed iterations of each phase.
        warmup (int): Untimed iterations before them.
        log (Callable): Progress messages.
    """
    from mmskd.benchmark import run_benchmark
    todo = [
        config for config in rows
        if not osp.isfile(cost_file(work_dir, config))
    ]
    if not todo:
        return
    os.makedirs(osp.join(work_dir, 'cost'), exist_ok=True)
    MMLogger.get_instance(
        'mmskd_ablation_benchmark',
        log_file=osp.join(work_dir, 'cost', 'benchmark.log'),
        log_level='WARNING',
        file_mode='a')
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for config in todo:
            log(f'cost of {config_stem(config)}: the benchmark on a '
                f'batch of {COST_BATCH} images')
            report = run_benchmark(
                config_path(config),
                shape=COST_SHAPE,
                batch=COST_BATCH,
                iters=iters,
                warmup=warmup,
                cfg_options=rows[config],
                log=lambda message: None)
            write_json(cost_file(work_dir, config), report)
    finally:
        torch.set_num_threads(threads)


def read_costs(rows: Sequence[Row], work_dir: str) -> Dict[str, float]:
    """Row name -> c / (a + b) (the median times') of each row given.

    Args:
        rows (list[Row]): Distilled rows, each benchmarked.
        work_dir (str): The ablation's work dir.

    Returns:
        dict: The ratios.
    """
    costs = {}
    for row in rows:
        with open(cost_file(work_dir, row.config)) as file:
            costs[row.name] = json.load(file)['ratios']['distill_over_floor']
    return costs

# Copyright (c) mmskd contributors. All rights reserved.
"""Where an ablation's work dir keeps what it has done, so that a stopped
table continues where it stopped::

    WORK_DIR/settings.json            what the data and schedules are
    WORK_DIR/ablation.log             the progress, every call appended
    WORK_DIR/data/KIND/               generated data (seed 0): scenes, rooms,
                                      clips
    WORK_DIR/teachers/CONFIG/         tools/train.py run of a teacher
    WORK_DIR/phases/CONFIG/           run of an earlier phase rows load
    WORK_DIR/runs/CONFIG/seedS/       tools/train.py run of a row
    WORK_DIR/cost/CONFIG.json         the benchmark of a distilled row
    WORK_DIR/TABLE.json, TABLE.md     the tables

A training run is done when its folder holds ``result.json`` (the metric
of its last validation, none for an earlier phase, and the seconds of its
last attempt). Every JSON
file is written whole or not at all (a temporary file renamed), so that a
stop while writing leaves nothing half-written.
"""
import json
import os
import os.path as osp
import re
from typing import Callable, Dict, Optional

from mmskd.demo import write_scenes
from .clips import write_clips
from .multi_task_rooms import write_multi_task_rooms
from .rooms import write_rooms

DATA_SEED = 0
RESULT = 'result.json'


def write_json(path: str, value: object) -> None:
    """Write ``value`` as JSON to ``path`` atomically.

    Args:
        path (str): The file.
        value (object): What to write.
    """
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    partial = f'{path}.partial'
    with open(partial, 'w') as file:
        json.dump(value, file, indent=2)
    os.replace(partial, path)


def config_stem(config: str) -> str:
    """A row config's file name without ``.py`` (its runs' folder)."""
    return osp.splitext(osp.basename(config))[0]


def run_dir(work_dir: str, config: str, seed: int) -> str:
    """Where a row's run at a seed trains.

    Args:
        work_dir (str): The ablation's work dir.
        config (str): The row's config.
        seed (int): The seed.

    Returns:
        str: ``WORK_DIR/runs/CONFIG/seedS``.
    """
    return osp.join(work_dir, 'runs', config_stem(config), f'seed{seed}')


def phase_dir(work_dir: str, config: str) -> str:
    """Where the run of an earlier phase that rows load trains.

    Args:
        work_dir (str): The ablation's work dir.
        config (str): The phase's config.

    Returns:
        str: ``WORK_DIR/phases/CONFIG``.
    """
    return osp.join(work_dir, 'phases', config_stem(config))


def read_result(train_dir: str) -> Optional[dict]:
    """A finished run's ``result.json``, or None if it has not finished."""
    path = osp.join(train_dir, RESULT)
    if not osp.isfile(path):
        return None
    with open(path) as file:
        return json.load(file)


def checkpoint_iteration(train_dir: str) -> Optional[int]:
    """The iteration of the checkpoint a run would resume from, if any.

    Args:
        train_dir (str): A ``tools/train.py`` work dir.

    Returns:
        int, optional: N of the ``iter_N.pth`` its ``last_checkpoint``
        names; None without one.
    """
    path = osp.join(train_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as file:
        match = re.search(r'iter_(\d+)\.pth$', file.read().strip())
    return int(match.group(1)) if match else None


def check_settings(work_dir: str, settings: dict, defaults: dict) -> None:
    """Write a work dir's settings, or check that they are the same.

    Args:
        work_dir (str): The ablation's work dir.
        settings (dict): What its runs must share.
        defaults (dict): The default of each setting, which a work dir made
            before that setting existed was made with.

    Raises:
        SystemExit: If the work dir was made with other settings.
    """
    path = osp.join(work_dir, 'settings.json')
    if osp.isfile(path):
        with open(path) as file:
            made = dict(defaults, **json.load(file))
        if made != settings:
            raise SystemExit(
                f'{work_dir} holds runs made with {made}, not {settings}: '
                'give another --work-dir, or the same options to continue '
                'those runs.')
        return
    write_json(path, settings)


# The generated data a table can train on: kind -> its writer.
WRITERS: Dict[str, Callable[..., str]] = {
    'scenes': write_scenes,
    'rooms': write_rooms,
    'clips': write_clips,
    'mt_rooms': write_multi_task_rooms,
}


def teacher_dir(work_dir: str, config: str) -> str:
    """Where a table's teacher trains.

    Args:
        work_dir (str): The ablation's work dir.
        config (str): The teacher's config.

    Returns:
        str: ``WORK_DIR/teachers/CONFIG``.
    """
    return osp.join(work_dir, 'teachers', config_stem(config))


def prepare_data(work_dir: str, kind: str, num_train: int,
                 num_val: int) -> str:
    """Write a kind of data once (a folder without its end marker is
    written again).

    Args:
        work_dir (str): The ablation's work dir.
        kind (str): A key of :data:`WRITERS`.
        num_train (int): Training images.
        num_val (int): Validation images.

    Returns:
        str: The data root, ``WORK_DIR/data/KIND``.
    """
    data_root = osp.join(work_dir, 'data', kind)
    marker = osp.join(data_root, 'complete')
    if not osp.isfile(marker):
        WRITERS[kind](
            data_root, seed=DATA_SEED, num_train=num_train, num_val=num_val)
        open(marker, 'w').close()
    return data_root

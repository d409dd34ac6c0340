# Copyright (c) mmskd contributors. All rights reserved.
"""The CPU demo from the scenes to the table (``tools/demo.py``'s work).

:func:`run_demo`

1. writes the scenes (:func:`mmskd.demo.write_scenes`, deterministic from
   the seed) in the Cityscapes layout and copies the images of those after
   the first ``num_labelled`` to leftImg8bit/unlabelled;
2. trains the teacher on all training scenes with their labels in two DDP
   processes (gloo, 4 images each); then, side by side on one core each,
   the student distilled from it (pixel-wise, pair-wise, holistic and
   channel-wise terms) on the labelled few followed by the student alone on
   them, and the distilled student with the unlabelled images added
   (:mod:`mmskd.demo.runs`, one thread per process);
3. reads the four models' mIoU (each run validates its last checkpoint as
   it ends), draws their predictions on the first validation scenes into
   ``predictions.png`` and writes ``results.json``.

On one core the runs go one after another, the teacher in one process. The
progress goes through an mmengine logger, also to ``WORK_DIR/demo.log``;
:func:`format_summary` is the text ``tools/demo.py`` prints at the end.
"""
import json
import os
import os.path as osp
import shutil
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

from mmengine.logging import MMLogger
from mmseg.datasets import CityscapesDataset

from mmskd.apis import init_model
from .background_jobs import Job, available_cores, run_jobs
from .prediction_grid import save_prediction_grid
from .progress_lines import progress_reporter
from .runs import (DISTILLED, RUNS, TEACHER_PROCESSES, common_options,
                   config_path, copy_unlabelled, count_parameters, final_miou,
                   find_root, last_checkpoint, per_process_batch,
                   plan_phases, schedule_of, train_command)
from .scenes import write_scenes

LOGGER = 'mmskd_demo'
FIGURE_SCENES = 4  # validation scenes in predictions.png


@dataclass
class DemoSettings:
    """What a demo run does (``tools/demo.py``'s options).

    Args:
        work_dir (str): Where data, logs and checkpoints go.
        seed (int): Seed of the dataset and of the runs. Defaults to 0.
        iters (int, optional): Training iterations of each student run
            (the configs' if None).
        teacher_iters (int, optional): Training iterations of the teacher
            (the config's if None).
        num_train (int): Generated training scenes. Defaults to 500.
        num_val (int): Generated validation scenes. Defaults to 100.
        num_labelled (int, optional): Training scenes whose labels the
            students see (the configs' if None); the teacher sees all.
    """
    work_dir: str
    seed: int = 0
    iters: Optional[int] = None
    teacher_iters: Optional[int] = None
    num_train: int = 500
    num_val: int = 100
    num_labelled: Optional[int] = None


def log(message: str) -> None:
    """One progress message through the demo's mmengine logger.

    Args:
        message (str): The message.
    """
    MMLogger.get_instance(LOGGER).info(message)


def draw_predictions(work_dir: str,
                     data_root: str,
                     checkpoints: Dict[str, str],
                     root: Optional[str] = None) -> str:
    """The models' labels on the first validation scenes, as a PNG.

    Args:
        work_dir (str): Where ``predictions.png`` goes.
        data_root (str): Where the scenes are.
        checkpoints (dict): Run key -> its checkpoint, for every run.
        root (str, optional): See :func:`mmskd.demo.find_root`.

    Returns:
        str: The PNG's path.
    """
    dataset = CityscapesDataset(
        data_root=data_root,
        data_prefix=dict(
            img_path='leftImg8bit/val', seg_map_path='gtFine/val'),
        pipeline=[],
        lazy_init=False)
    count = min(FIGURE_SCENES, len(dataset))
    infos = [dataset.get_data_info(i) for i in range(count)]
    path = osp.join(work_dir, 'predictions.png')
    save_prediction_grid(
        {key: init_model(config_path(key, root), checkpoints[key])
         for key in RUNS}, [info['img_path'] for info in infos],
        path, [info['seg_map_path'] for info in infos], dataset.metainfo)
    return path


def format_results_table(rows: List[dict]) -> str:
    """The Markdown table of the models' parameters and mIoU.

    Args:
        rows (list[dict]): ``model`` (name), ``params`` and ``mIoU`` of
            each model.

    Returns:
        str: The table's lines.
    """
    lines = ['| model | params | mIoU |', '| --- | ---: | ---: |']
    for row in rows:
        lines.append(f'| {row["model"]} | {row["params"] / 1e6:.2f}M '
                     f'| {row["mIoU"]:.2f} |')
    return '\n'.join(lines)


def format_summary(results: dict, work_dir: str) -> str:
    """What ``tools/demo.py`` prints at the end of a run.

    Args:
        results (dict): What :func:`run_demo` returns.
        work_dir (str): The run's work dir.

    Returns:
        str: An empty line, the settings, the table, the gains, the times,
        the figure and the work dir.
    """
    miou = {row['key']: row['mIoU'] for row in results['rows']}
    gap = miou['teacher'] - miou['student']
    seconds = dict(results['seconds'])
    total = seconds.pop('total')
    return '\n'.join([
        '',
        f'Seed {results["seed"]}, {results["iters"]} iterations '
        f'({results["teacher_iters"]} for the teacher), '
        f'{results["num_train"]} training scenes '
        f'({results["num_labelled"]} with labels for the students) and '
        f'{results["num_val"]} validation scenes; mIoU on the validation '
        'scenes:',
        '',
        format_results_table(results['rows']),
        '',
        f'Distillation gain: {results["gain"]:+.2f} mIoU (distilled - '
        f'student); with unlabelled images: '
        f'{results["gain_unlabelled"]:+.2f} (teacher - student: {gap:+.2f}).',
        'Time: ' + ', '.join(f'{name} {value:.0f}s'
                             for name, value in seconds.items()) +
        f'; total {total / 60:.1f} min.',
        'Predictions (image, ground truth, teacher, student, distilled, '
        f'distilled + unlabelled) on {FIGURE_SCENES} validation scenes: '
        f'{results["predictions"]}',
        f'Logs, checkpoints and data: {work_dir}',
    ])


def _train_all(settings: DemoSettings, data_root: str, root: str,
               checkpoints: Dict[str, str],
               seconds: Dict[str, float]) -> None:
    """Run the four trainings, phase by phase (:func:`plan_phases`),
    filling in each run's last checkpoint and its seconds."""
    cores = available_cores()
    teacher_processes = TEACHER_PROCESSES if cores >= 2 else 1

    def train_job(key: str) -> Job:
        teacher = key == 'teacher'
        options = common_options(
            key, data_root, settings.seed,
            settings.teacher_iters if teacher else settings.iters,
            settings.num_labelled)
        processes = teacher_processes if teacher else 1
        if processes > 1:
            options['train_dataloader.batch_size'] = per_process_batch(
                config_path(key, root), processes)
        if key in DISTILLED:
            options['model.teacher_ckpt'] = checkpoints['teacher']
        command = train_command(
            config_path(key, root), osp.join(settings.work_dir, key),
            options, processes, root)
        log(f'train {key}: ' +
            ' '.join(command[1:]).replace(root + os.sep, ''))
        # One thread per process, whatever the machine: the same seed gives
        # the same numbers (mmengine's deterministic=True fixes the rest).
        return Job(key, command,
                   osp.join(settings.work_dir, f'train_{key}.log'),
                   threads=1,
                   report=progress_reporter(LOGGER, '{tag:10s} {progress}'),
                   cwd=root)

    for phase in plan_phases(cores):
        lanes = [[train_job(key) for key in lane] for lane in phase]
        run_jobs(lanes)
        for each in (job for lane in lanes for job in lane):
            checkpoints[each.tag] = last_checkpoint(
                osp.join(settings.work_dir, each.tag))
            seconds[f'train {each.tag}'] = each.seconds


def run_demo(settings: DemoSettings,
             root: Optional[str] = None,
             start: Optional[float] = None) -> dict:
    """Write the scenes, train the four models, draw and score them.

    Args:
        settings (DemoSettings): What to run.
        root (str, optional): Where ``configs/demo`` and ``tools/train.py``
            are (:func:`mmskd.demo.find_root` if None).
        start (float, optional): When the demo started (``time.time()``),
            for its total time; now if None.

    Returns:
        dict: What ``WORK_DIR/results.json`` holds: the settings, a row per
        model (``model``, ``key``, ``config``, ``checkpoint``, ``params``,
        ``mIoU``), the two gains over the student, the figure's path and
        the seconds of each run and in total.

    Raises:
        SystemExit: If the labelled scenes leave no unlabelled ones.
    """
    start = time.time() if start is None else start
    root = root or find_root()
    work_dir = settings.work_dir
    # Start afresh: files of an earlier run (e.g. more scenes) would mix in.
    for name in ('data', *RUNS):
        shutil.rmtree(osp.join(work_dir, name), ignore_errors=True)
    os.makedirs(work_dir, exist_ok=True)
    MMLogger.get_instance(LOGGER, logger_name=LOGGER, file_mode='w',
                          log_file=osp.join(work_dir, 'demo.log'))
    iters, teacher_iters, num_labelled = schedule_of(
        settings.num_train, settings.iters, settings.teacher_iters,
        settings.num_labelled, root)
    data_root = write_scenes(
        osp.join(work_dir, 'data'),
        seed=settings.seed,
        num_train=settings.num_train,
        num_val=settings.num_val,
        progress=True)
    num_unlabelled = copy_unlabelled(data_root, num_labelled)
    log(f'Wrote {settings.num_train} + {settings.num_val} scenes (seed '
        f'{settings.seed}) to {data_root}; the students see the labels of '
        f'the first {num_labelled}, the images of the other '
        f'{num_unlabelled} are also in leftImg8bit/unlabelled')
    checkpoints: Dict[str, str] = {}
    seconds: Dict[str, float] = {}
    _train_all(settings, data_root, root, checkpoints, seconds)

    rows = [
        dict(
            model=name,
            key=key,
            config=osp.relpath(config_path(key, root), root),
            checkpoint=checkpoints[key],
            params=count_parameters(
                config_path('teacher' if key == 'teacher' else 'student',
                            root)),
            mIoU=final_miou(osp.join(work_dir, key)))
        for key, (name, _) in RUNS.items()
    ]
    log(f'Drawing the predictions on {FIGURE_SCENES} validation scenes ...')
    figure = draw_predictions(work_dir, data_root, checkpoints, root)

    total = time.time() - start
    miou = {row['key']: row['mIoU'] for row in rows}
    results = dict(
        seed=settings.seed,
        iters=iters,
        teacher_iters=teacher_iters,
        num_train=settings.num_train,
        num_labelled=num_labelled,
        num_val=settings.num_val,
        rows=rows,
        gain=miou['distilled'] - miou['student'],
        gain_unlabelled=miou['unlabelled'] - miou['student'],
        predictions=figure,
        seconds=dict(seconds, total=total))
    with open(osp.join(work_dir, 'results.json'), 'w') as file:
        json.dump(results, file, indent=2)
    return results

# Copyright (c) mmskd contributors. All rights reserved.
"""Run ablation tables: the data, the teacher, every row x seed in lanes,
and each distilled row's cost, resumable (the work of
``tools/analysis_tools/ablation.py``).

A work dir holds everything, so that a killed table continues where it
stopped when the same command runs again::

    WORK_DIR/settings.json            what the data and schedules are
    WORK_DIR/data/                    the generated scenes (seed 0)
    WORK_DIR/teacher/                 tools/train.py run of the teacher
    WORK_DIR/runs/CONFIG/seedS/       tools/train.py run of a row
    WORK_DIR/cost/CONFIG.json         the benchmark of a distilled row
    WORK_DIR/TABLE.json, TABLE.md     the tables

A run whose ``result.json`` exists is done and is not run again (tables
that share a row, e.g. the student, share its runs); a run that was
stopped resumes from its last checkpoint (saved every
:data:`CHECKPOINT_INTERVAL` iterations). The data and the teacher are the
same for every seed: the seeds vary the students' training only.
"""
import json
import os
import os.path as osp
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmskd.demo import (Job, available_cores, common_options, find_root,
                        last_checkpoint, run_queue, short_progress,
                        train_command, write_scenes)
from mmskd.utils import log_records
from .report import format_table, summarize
from .tables import SCENES_TEACHER, Table

LOGGER = 'mmskd_ablation'
CHECKPOINT_INTERVAL = 100
DATA_SEED = 0
# The teacher's processes on two or more cores, as the demo trains it.
TEACHER_PROCESSES = 2
# The batch each row's cost is measured on: a training batch of the scenes.
COST_SHAPE, COST_BATCH = (128, 128), 8


@dataclass
class AblationSettings:
    """What the tables train on, and how long (the command line's options).

    Args:
        work_dir (str): Where everything goes.
        seeds (tuple[int]): The seeds of every row. Defaults to 0 to 4.
        iters (int, optional): Iterations of each row (the configs' if None).
        teacher_iters (int, optional): Iterations of the teacher (its
            config's if None).
        num_train (int): Generated training scenes. Defaults to 500.
        num_val (int): Generated validation scenes. Defaults to 100.
        num_labelled (int, optional): Training scenes whose labels the rows
            see (the configs' if None); the teacher sees all.
        cost_iters (int): Timed iterations of each row's benchmark.
            Defaults to 10.
        cost_warmup (int): Untimed iterations before them. Defaults to 2.
    """
    work_dir: str
    seeds: Sequence[int] = (0, 1, 2, 3, 4)
    iters: Optional[int] = None
    teacher_iters: Optional[int] = None
    num_train: int = 500
    num_val: int = 100
    num_labelled: Optional[int] = None
    cost_iters: int = 10
    cost_warmup: int = 2

    def data_settings(self) -> dict:
        """What the runs of a work dir must share (all but the seeds and
        the benchmark's length)."""
        settings = asdict(self)
        for key in ('work_dir', 'seeds', 'cost_iters', 'cost_warmup'):
            settings.pop(key)
        return settings


def log(message: str) -> None:
    """One progress message through the ablation's logger."""
    MMLogger.get_instance(LOGGER).info(message)


def config_stem(config: str) -> str:
    """A row config's file name without ``.py`` (its runs' folder)."""
    return osp.splitext(osp.basename(config))[0]


def run_dir(work_dir: str, config: str, seed: int) -> str:
    """Where a row's run at a seed trains."""
    return osp.join(work_dir, 'runs', config_stem(config), f'seed{seed}')


def final_metric(train_dir: str, metric: str) -> float:
    """The last value of ``metric`` a ``tools/train.py`` run logged.

    Raises:
        RuntimeError: If the run logged none.
    """
    values = [r[metric] for r in log_records(train_dir) if metric in r]
    if not values:
        raise RuntimeError(f'tools/train.py logged no {metric} in '
                           f'{train_dir}')
    return float(values[-1])


def read_result(train_dir: str) -> Optional[dict]:
    """A finished run's ``result.json``, or None if it has not finished."""
    path = osp.join(train_dir, 'result.json')
    if not osp.isfile(path):
        return None
    with open(path) as file:
        return json.load(file)


def check_settings(settings: AblationSettings) -> None:
    """Write the work dir's settings, or check that they are the same.

    Raises:
        SystemExit: If the work dir was made with other settings.
    """
    path = osp.join(settings.work_dir, 'settings.json')
    wanted = settings.data_settings()
    if osp.isfile(path):
        with open(path) as file:
            made = json.load(file)
        if made != wanted:
            raise SystemExit(
                f'{settings.work_dir} holds runs made with {made}, not '
                f'{wanted}: give another --work-dir, or the same options '
                'to continue those runs.')
        return
    os.makedirs(settings.work_dir, exist_ok=True)
    with open(path, 'w') as file:
        json.dump(wanted, file, indent=2)


def prepare_data(settings: AblationSettings) -> str:
    """Write the scenes once (a folder without its end marker is rewritten).

    Returns:
        str: The data root.
    """
    data_root = osp.join(settings.work_dir, 'data')
    marker = osp.join(data_root, 'complete')
    if not osp.isfile(marker):
        write_scenes(
            data_root,
            seed=DATA_SEED,
            num_train=settings.num_train,
            num_val=settings.num_val)
        open(marker, 'w').close()
    return data_root


class AblationRunner:
    """Train what some tables need and write their reports.

    Args:
        settings (AblationSettings): The data, schedules and seeds.
        root (str, optional): Where ``configs/`` and ``tools/`` are
            (:func:`mmskd.demo.find_root` if None).
    """

    def __init__(self,
                 settings: AblationSettings,
                 root: Optional[str] = None) -> None:
        self.settings = settings
        self.root = root or find_root()
        self.lanes = available_cores()
        self.data_root = ''
        # Job -> (metric, its run's folder), for the jobs that train a row.
        self._recording: Dict[int, Tuple[str, str]] = {}
        self._done = self._total = 0

    def config_path(self, config: str) -> str:
        """A config's file, from its path relative to ``configs/``."""
        return osp.join(self.root, 'configs', config)

    def run(self, tables: Sequence[Table]) -> Dict[str, dict]:
        """Train what the tables lack, then summarise each.

        Args:
            tables (list[Table]): The tables.

        Returns:
            dict: Table name -> its summary (what ``TABLE.json`` holds).
        """
        work_dir = self.settings.work_dir
        check_settings(self.settings)
        MMLogger.get_instance(
            LOGGER,
            logger_name=LOGGER,
            log_file=osp.join(work_dir, 'ablation.log'),
            file_mode='a')
        self.data_root = prepare_data(self.settings)
        teacher = self.train_teacher()
        self.train_rows(tables, teacher)
        self.measure_costs(tables, teacher)
        summaries = {}
        for table in tables:
            summary = summarize(table, self.results(table), self.costs(table))
            summaries[table.name] = summary
            with open(osp.join(work_dir, f'{table.name}.json'), 'w') as file:
                json.dump(summary, file, indent=2)
            with open(osp.join(work_dir, f'{table.name}.md'), 'w') as file:
                file.write(format_table(summary) + '\n')
        return summaries

    def options(self, key: str, seed: int, iters: Optional[int]) -> dict:
        """A run's ``--cfg-options``: the demo's (``key`` is ``'teacher'``
        or ``'student'``, for any row) and a checkpoint every
        :data:`CHECKPOINT_INTERVAL` iterations, of which one is kept."""
        options = common_options(key, self.data_root, seed, iters,
                                 self.settings.num_labelled)
        options.update({
            'default_hooks.checkpoint.interval': CHECKPOINT_INTERVAL,
            'default_hooks.checkpoint.max_keep_ckpts': 1,
        })
        return options

    def train_job(self,
                  tag: str,
                  config: str,
                  train_dir: str,
                  options: dict,
                  processes: int = 1) -> Job:
        """``tools/train.py --resume`` of a config, one thread a process."""
        command = train_command(
            self.config_path(config), train_dir, options, processes,
            self.root) + ['--resume']
        os.makedirs(train_dir, exist_ok=True)
        return Job(
            tag,
            command,
            osp.join(train_dir, 'train.log'),
            threads=1,
            report=self._show_progress,
            cwd=self.root)

    def train_teacher(self) -> str:
        """Train the teacher unless it is done.

        Returns:
            str: Its last checkpoint.
        """
        train_dir = osp.join(self.settings.work_dir, 'teacher')
        if read_result(train_dir) is None:
            processes = TEACHER_PROCESSES if self.lanes >= 2 else 1
            options = self.options('teacher', DATA_SEED,
                                   self.settings.teacher_iters)
            if processes > 1:  # the config's batch, split
                batch = Config.fromfile(self.config_path(
                    SCENES_TEACHER)).train_dataloader.batch_size
                options['train_dataloader.batch_size'] = batch // processes
            log(f'Training the teacher ({SCENES_TEACHER}) in {processes} '
                'process(es)')
            job = self.train_job('teacher', SCENES_TEACHER, train_dir, options,
                                 processes)
            self._recording[id(job)] = ('mIoU', train_dir)
            self._done, self._total = 0, 1
            run_queue([job], 1, self._count)
        return last_checkpoint(train_dir)

    def train_rows(self, tables: Sequence[Table], teacher: str) -> None:
        """Train every row x seed that has no result, in lanes."""
        jobs: List[Job] = []
        queued = set()
        for table in tables:
            for row in table.rows:
                for seed in self.settings.seeds:
                    train_dir = run_dir(self.settings.work_dir, row.config,
                                        seed)
                    if train_dir in queued or read_result(train_dir):
                        continue
                    queued.add(train_dir)
                    jobs.append(
                        self._row_job(table, row.config, seed, teacher))
        log(f'{len(jobs)} runs to go in {self.lanes} lane(s); those done '
            'before are kept')
        self._done, self._total = 0, len(jobs)
        run_queue(jobs, self.lanes, self._count)

    def _row_job(self, table: Table, config: str, seed: int,
                 teacher: str) -> Job:
        """The training job of a row at a seed."""
        train_dir = run_dir(self.settings.work_dir, config, seed)
        options = self.options('student', seed, self.settings.iters)
        if self._has_teacher(config):
            options['model.teacher_ckpt'] = teacher
        job = self.train_job(f'{config_stem(config)} seed {seed}', config,
                             train_dir, options)
        self._recording[id(job)] = (table.metric, train_dir)
        return job

    def measure_costs(self, tables: Sequence[Table], teacher: str) -> None:
        """Benchmark every distilled row that has no cost yet, one after
        another in this process, one thread, on the scenes' batch (after
        the trainings, so that they do not share the cores).

        mmengine's warnings while the models are built go to
        ``cost/benchmark.log``, not to the ablation's log.
        """
        from mmskd.benchmark import run_benchmark
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        cost_dir = osp.join(self.settings.work_dir, 'cost')
        os.makedirs(cost_dir, exist_ok=True)
        MMLogger.get_instance(
            f'{LOGGER}_benchmark',
            logger_name=f'{LOGGER}_benchmark',
            log_file=osp.join(cost_dir, 'benchmark.log'),
            log_level='WARNING',
            file_mode='a')
        try:
            for row in self._distilled(tables):
                cost_file = self._cost_file(row.config)
                if osp.isfile(cost_file):
                    continue
                log(f'cost of {config_stem(row.config)}: '
                    'tools/analysis_tools/benchmark.py on a batch of '
                    f'{COST_BATCH} scenes')
                report = run_benchmark(
                    self.config_path(row.config),
                    shape=COST_SHAPE,
                    batch=COST_BATCH,
                    iters=self.settings.cost_iters,
                    warmup=self.settings.cost_warmup,
                    cfg_options={'model.teacher_ckpt': teacher},
                    log=lambda message: None)
                with open(cost_file, 'w') as file:
                    json.dump(report, file, indent=2)
        finally:
            torch.set_num_threads(threads)

    def _cost_file(self, config: str) -> str:
        return osp.join(self.settings.work_dir, 'cost',
                        config_stem(config) + '.json')

    def results(self, table: Table) -> Dict[str, Dict[int, float]]:
        """Row name -> seed -> the row's metric at that seed."""
        return {
            row.name: {
                seed:
                read_result(run_dir(self.settings.work_dir, row.config,
                                    seed))[table.metric]
                for seed in self.settings.seeds
            }
            for row in table.rows
        }

    def costs(self, table: Table) -> Dict[str, float]:
        """Row name -> c / (a + b) of its config (distilled rows only)."""
        costs = {}
        for row in self._distilled([table]):
            with open(self._cost_file(row.config)) as file:
                ratios = json.load(file)['ratios']
            costs[row.name] = ratios['distill_over_floor']
        return costs

    def _distilled(self, tables: Sequence[Table]) -> list:
        """The rows with a teacher, each config once."""
        rows = {}
        for table in tables:
            for row in table.rows:
                if self._has_teacher(row.config):
                    rows.setdefault(row.config, row)
        return list(rows.values())

    def _has_teacher(self, config: str) -> bool:
        """Whether a row distils (its model has a teacher)."""
        return _has_teacher(self.config_path(config))

    def _count(self, job: Job) -> None:
        """Write a finished training's ``result.json`` (so that a queue
        stopped later keeps it) and log the progress."""
        if id(job) in self._recording:
            metric, train_dir = self._recording.pop(id(job))
            result = {
                metric: final_metric(train_dir, metric),
                'seconds': job.seconds
            }
            with open(osp.join(train_dir, 'result.json'), 'w') as file:
                json.dump(result, file)
        self._done += 1
        log(f'[{self._done}/{self._total}] {job.tag} done in '
            f'{job.seconds:.0f} s')

    @staticmethod
    def _show_progress(tag: str, line: str) -> None:
        progress = short_progress(line)
        if progress:
            log(f'{tag}: {progress}')


@lru_cache()
def _has_teacher(config_file: str) -> bool:
    return 'teacher' in Config.fromfile(config_file).model

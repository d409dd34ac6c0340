# Copyright (c) mmskd contributors. All rights reserved.
"""Run ablation tables: the data, the teacher, every row x seed in lanes,
and each distilled row's cost, resumable (the work of
``tools/analysis_tools/ablation.py``; the work dir's layout is
:mod:`.storage`'s).

A run whose ``result.json`` exists is done and is not run again (tables
that share a row, e.g. the student, share its runs); a run that was
stopped resumes from its last checkpoint (``tools/train.py --resume``),
and one stopped after its last checkpoint but before its validation trains
again from the start (resuming would skip the validation). The data and the
teacher are the same for every seed: the seeds vary the students' training
only.
"""
import os
import os.path as osp
import shutil
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.config import Config
from mmengine.logging import MMLogger

from mmskd.demo import (TEACHER_PROCESSES, Job, available_cores,
                        common_options, final_metric, find_root,
                        last_checkpoint, per_process_batch, progress_reporter,
                        run_queue, train_command)
from .cost import measure_costs, read_costs
from .report import format_table, summarize
from .storage import (DATA_SEED, RESULT, check_settings, checkpoint_iteration,
                      config_stem, phase_dir, prepare_data, read_result,
                      run_dir, teacher_dir, write_json)
from .tables import Row, Table, recorded_metrics

LOGGER = 'mmskd_ablation'


@dataclass
class AblationSettings:
    """What the tables train on, and how long (the command line's options).

    Args:
        work_dir (str): Where everything goes.
        seeds (tuple[int]): The seeds of every row. Defaults to 0 to 4.
        iters (int, optional): Iterations of each row (the configs' if None).
        teacher_iters (int, optional): Iterations of the teacher (its
            config's if None).
        phase_epochs (int, optional): Epochs of each earlier phase a row
            loads (its config's if None).
        num_train (int): Generated training images. Defaults to 500.
        num_val (int): Generated validation images. Defaults to 100.
        num_labelled (int, optional): Training images whose labels the rows
            see (the configs' if None); the teacher sees all.
        checkpoint_interval (int): Iterations between the checkpoints a
            stopped run resumes from (an earlier phase keeps its config's,
            e.g. one an epoch). Defaults to 100.
        cost_iters (int): Timed iterations of each row's benchmark.
            Defaults to 10.
        cost_warmup (int): Untimed iterations before them. Defaults to 2.
        teacher_processes (int): Processes a teacher trains in when two
            lanes or more are free, its batch split between them. Defaults
            to 2, as the demo.
    """
    work_dir: str
    seeds: Sequence[int] = (0, 1, 2, 3, 4)
    iters: Optional[int] = None
    teacher_iters: Optional[int] = None
    phase_epochs: Optional[int] = None
    num_train: int = 500
    num_val: int = 100
    num_labelled: Optional[int] = None
    checkpoint_interval: int = 100
    cost_iters: int = 10
    cost_warmup: int = 2
    teacher_processes: int = TEACHER_PROCESSES

    def shared(self) -> dict:
        """What every call on one work dir must keep (the data and the
        schedules)."""
        settings = asdict(self)
        for key in ('work_dir', 'seeds', 'checkpoint_interval', 'cost_iters',
                    'cost_warmup', 'teacher_processes'):
            settings.pop(key)
        return settings


def log(message: str) -> None:
    """One progress message through the ablation's logger."""
    MMLogger.get_instance(LOGGER).info(message)


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
        # Data kind -> its root; teacher config -> its last checkpoint;
        # phase config -> its last checkpoint (filled in by run()).
        self.data_roots: Dict[str, str] = {}
        self.teachers: Dict[str, str] = {}
        self.phases: Dict[str, str] = {}
        # Training job -> (its metrics, its last iteration, its folder);
        # no metric for an earlier phase.
        self._to_record: Dict[Job, Tuple[Tuple[str, ...], Optional[int],
                                         str]] = {}
        self._done = self._total = 0

    def config_path(self, config: str) -> str:
        """A config's file, from its path relative to ``configs/``."""
        return osp.join(self.root, 'configs', config)

    def run(self, tables: Sequence[Table]) -> Dict[str, dict]:
        """Train what the tables lack, measure the costs, then summarise
        each table into ``TABLE.json`` and ``TABLE.md``.

        Args:
            tables (list[Table]): The tables.

        Returns:
            dict: Table name -> its summary (what ``TABLE.json`` holds).
        """
        work_dir = self.settings.work_dir
        check_settings(work_dir, self.settings.shared(),
                       AblationSettings(work_dir).shared())
        MMLogger.get_instance(
            LOGGER,
            logger_name=LOGGER,
            log_file=osp.join(work_dir, 'ablation.log'),
            file_mode='a')
        self.data_roots = {
            table.data:
            prepare_data(work_dir, table.data, self.settings.num_train,
                         self.settings.num_val)
            for table in tables
        }
        self.teachers = {
            table.teacher: self.train_teacher(table)
            for table in tables if table.teacher is not None
        }
        self.phases = self.train_phases(tables)
        self.train_rows(tables)
        distilled = {
            row.config: self.checkpoint_options(table, row)
            for table in tables
            for row in table.rows
            if _has_teacher(self.config_path(row.config))
        }
        measure_costs(distilled, self.config_path, work_dir,
                      self.settings.cost_iters, self.settings.cost_warmup, log)
        # Links from WORK_DIR/TABLE.md to the configs.
        configs = osp.relpath(osp.join(self.root, 'configs'), work_dir)
        summaries = {}
        for table in tables:
            summaries[table.name] = summary = summarize(
                table, self.results(table),
                read_costs(
                    [row for row in table.rows if row.config in distilled],
                    work_dir),
                {metric: self.results(table, metric)
                 for metric in table.also})
            write_json(osp.join(work_dir, f'{table.name}.json'), summary)
            with open(osp.join(work_dir, f'{table.name}.md'), 'w') as file:
                file.write(format_table(summary, configs) + '\n')
        return summaries

    def train_teacher(self, table: Table) -> str:
        """Train a table's teacher unless it is done (as the demo does: in
        two processes on two cores or more, its batch split between them).

        Args:
            table (Table): The table.

        Returns:
            str: Its last checkpoint.
        """
        train_dir = teacher_dir(self.settings.work_dir, table.teacher)
        if read_result(train_dir) is None:
            processes = self.settings.teacher_processes \
                if self.lanes >= 2 else 1
            options = self.run_options('teacher', table.data, DATA_SEED,
                                       self.settings.teacher_iters)
            if processes > 1:
                options['train_dataloader.batch_size'] = per_process_batch(
                    self.config_path(table.teacher), processes)
            log(f'Training the teacher ({table.teacher}) in {processes} '
                'process(es)')
            job = self.train_job(f'teacher {config_stem(table.teacher)}',
                                 table.teacher, train_dir, options,
                                 table.metrics, processes)
            self._done, self._total = 0, 1
            run_queue([job], 1, self._record)
        return last_checkpoint(train_dir)

    def train_phases(self, tables: Sequence[Table]) -> Dict[str, str]:
        """Train, once each, the earlier phases the rows load (unless they
        are done), from the table's teacher, on the data the students see.

        Args:
            tables (list[Table]): The tables.

        Returns:
            dict: Phase config -> its last checkpoint.
        """
        owners = {
            config: table
            for table in tables
            for row in table.rows
            for _, config in row.loads
        }
        jobs = []
        for config, table in sorted(owners.items()):
            train_dir = phase_dir(self.settings.work_dir, config)
            if read_result(train_dir) is None:
                # Its own schedule and checkpoints (an epoch-based loop
                # takes no max_iters), and no validation.
                options = {
                    key: value
                    for key, value in self.run_options(
                        'student', table.data, DATA_SEED, None).items()
                    if not key.startswith(('val_dataloader.',
                                           'default_hooks.checkpoint.'
                                           'interval'))
                }
                options['model.teacher_ckpt'] = self.teachers[table.teacher]
                if self.settings.phase_epochs is not None:
                    options['train_cfg.max_epochs'] = \
                        self.settings.phase_epochs
                log(f'Training {config_stem(config)} (rows load it)')
                jobs.append(
                    self.train_job(
                        config_stem(config), config, train_dir, options))
        self._done, self._total = 0, len(jobs)
        run_queue(jobs, self.lanes, self._record)
        return {
            config: last_checkpoint(phase_dir(self.settings.work_dir, config))
            for config in owners
        }

    def checkpoint_options(self, table: Table, row: Row) -> dict:
        """The checkpoints a distilled row is given as ``--cfg-options``:
        its table's teacher's and those of the phases it loads."""
        options = {'model.teacher_ckpt': self.teachers[table.teacher]}
        options.update({
            option: self.phases[config]
            for option, config in row.loads
        })
        return options

    def train_rows(self, tables: Sequence[Table]) -> None:
        """Train every row x seed that has no result, in lanes.

        Args:
            tables (list[Table]): The tables.
        """
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
                    options = self.run_options(
                        _students_key(self.config_path(row.config)),
                        table.data, seed, self.settings.iters)
                    if _has_teacher(self.config_path(row.config)):
                        options.update(self.checkpoint_options(table, row))
                    jobs.append(
                        self.train_job(
                            f'{config_stem(row.config)} seed '
                            f'{seed}', row.config, train_dir, options,
                            recorded_metrics(row.config, tables)))
        log(f'{len(jobs)} runs to go in {self.lanes} lane(s); those done '
            'before are kept')
        self._done, self._total = 0, len(jobs)
        run_queue(jobs, self.lanes, self._record)

    def results(self,
                table: Table,
                metric: Optional[str] = None) -> Dict[str, Dict[int, float]]:
        """Row name -> seed -> the row's ``metric`` (the table's main one
        if None) at that seed."""
        return {
            row.name: {
                seed:
                read_result(run_dir(self.settings.work_dir, row.config,
                                    seed))[metric or table.metric]
                for seed in self.settings.seeds
            }
            for row in table.rows
        }

    def run_options(self, key: str, data: str, seed: int,
                    iters: Optional[int]) -> dict:
        """A run's ``--cfg-options``: the demo's (``key`` is ``'teacher'``,
        ``'student'`` or ``'unlabelled'``, see
        :func:`mmskd.demo.common_options`) on the data of kind ``data``, and
        the checkpoints to resume from (two kept: mmengine deletes the older
        before it writes the new)."""
        options = common_options(key, self.data_roots[data], seed, iters,
                                 self.settings.num_labelled)
        options.update({
            'default_hooks.checkpoint.interval':
            self.settings.checkpoint_interval,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
        })
        return options

    def train_job(self,
                  tag: str,
                  config: str,
                  train_dir: str,
                  options: dict,
                  metrics: Sequence[str] = (),
                  processes: int = 1) -> Job:
        """``tools/train.py --resume`` of a config, one thread a process,
        its result (the last value of each of ``metrics``; none for a phase
        that does not validate) to be recorded when it succeeds."""
        iters = None
        if metrics:
            iters = options.get('train_cfg.max_iters') or _max_iters(
                self.config_path(config))
        if iters is not None and checkpoint_iteration(train_dir) == iters:
            log(f'{tag} was stopped after its last checkpoint, before its '
                'validation: it trains again')
            shutil.rmtree(train_dir)
        os.makedirs(train_dir, exist_ok=True)
        job = Job(
            tag,
            train_command(
                self.config_path(config), train_dir, options, processes,
                self.root) + ['--resume'],
            osp.join(train_dir, 'train.log'),
            threads=1,
            report=progress_reporter(LOGGER),
            cwd=self.root)
        self._to_record[job] = (tuple(metrics), iters, train_dir)
        return job

    def _record(self, job: Job) -> None:
        """Write a finished training's ``result.json`` (its last
        validation's metrics, if it validates; a queue stopped later keeps
        it) and log the progress."""
        metrics, iters, train_dir = self._to_record.pop(job)
        result = {'seconds': job.seconds}
        for metric in metrics:
            result[metric] = final_metric(train_dir, metric, step=iters)
        write_json(osp.join(train_dir, RESULT), result)
        self._done += 1
        log(f'[{self._done}/{self._total}] {job.tag} done in '
            f'{job.seconds:.0f} s')


@lru_cache()
def _has_teacher(config_file: str) -> bool:
    """Whether a config distils (its model has a teacher)."""
    return 'teacher' in Config.fromfile(config_file).model


@lru_cache()
def _students_key(config_file: str) -> str:
    """The key of :func:`mmskd.demo.common_options` for a row: a student
    whose batches mix labelled and unlabelled images has two datasets."""
    dataset = Config.fromfile(config_file).train_dataloader.dataset
    return 'unlabelled' if dataset.type == 'ConcatDataset' else 'student'


@lru_cache()
def _max_iters(config_file: str) -> int:
    """The iterations a config trains for."""
    return Config.fromfile(config_file).train_cfg.max_iters

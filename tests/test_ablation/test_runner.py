# Copyright (c) mmskd contributors. All rights reserved.
"""What a stopped table finds again: settings, results, checkpoints (the
whole tool runs in tests/test_tools/test_ablation_tool.py)."""
import os

import pytest

from mmskd.ablation import SCENES_STUDENT, AblationRunner, AblationSettings
from mmskd.ablation.storage import (check_settings, checkpoint_iteration,
                                    config_stem, phase_dir, read_result,
                                    write_json)
from mmskd.ablation.tables import KA_TRANSLATOR
from mmskd.testing import REPO


def stopped_at(train_dir, iteration: int, unit: str = 'iter') -> None:
    """A run folder whose last checkpoint is at ``iteration`` (an epoch if
    ``unit`` is ``'epoch'``)."""
    train_dir.mkdir(parents=True, exist_ok=True)
    (train_dir / f'{unit}_{iteration}.pth').write_bytes(b'weights')
    (train_dir / 'last_checkpoint').write_text(
        str(train_dir / f'{unit}_{iteration}.pth'))


def train_job(tmp_path, train_dir):
    runner = AblationRunner(
        AblationSettings(work_dir=str(tmp_path), iters=3), root=REPO)
    runner.data_roots = {'scenes': str(tmp_path / 'data' / 'scenes')}
    return runner.train_job('student seed 0', SCENES_STUDENT, str(train_dir),
                            runner.run_options('student', 'scenes', 0, 3),
                            ('mIoU', ))


def test_a_run_stopped_midway_resumes(tmp_path):
    train_dir = tmp_path / 'runs' / 'student' / 'seed0'
    stopped_at(train_dir, 2)
    job = train_job(tmp_path, train_dir)
    assert job.command[-1] == '--resume'
    assert (train_dir / 'iter_2.pth').read_bytes() == b'weights'
    assert checkpoint_iteration(str(train_dir)) == 2


def test_a_run_stopped_before_its_last_validation_starts_again(tmp_path):
    train_dir = tmp_path / 'runs' / 'student' / 'seed0'
    stopped_at(train_dir, 3)
    train_job(tmp_path, train_dir)
    assert os.listdir(train_dir) == []
    assert checkpoint_iteration(str(train_dir)) is None


def test_a_phase_records_no_metric_and_keeps_its_last_checkpoint(tmp_path):
    """An earlier phase does not validate: stopped at its last checkpoint,
    it resumes (and ends at once); done, its result holds its time."""
    runner = AblationRunner(
        AblationSettings(work_dir=str(tmp_path)), root=REPO)
    train_dir = tmp_path / 'phases' / config_stem(KA_TRANSLATOR)
    assert str(train_dir) == phase_dir(str(tmp_path), KA_TRANSLATOR)
    stopped_at(train_dir, 20, 'epoch')
    job = runner.train_job('translator', KA_TRANSLATOR, str(train_dir), {})
    assert job.command[-1] == '--resume'
    assert (train_dir / 'epoch_20.pth').read_bytes() == b'weights'
    job.seconds = 12.5
    runner._record(job)
    assert read_result(str(train_dir)) == {'seconds': 12.5}


def test_a_run_records_every_metric_of_its_table_at_its_last_step(tmp_path):
    """The video table's runs keep TC beside mIoU, from the validation at
    the run's last iteration (not an earlier one)."""
    train_dir = tmp_path / 'runs' / 'student' / 'seed0'
    runner = AblationRunner(
        AblationSettings(work_dir=str(tmp_path), iters=3), root=REPO)
    job = runner.train_job('video student', SCENES_STUDENT, str(train_dir),
                           runner_options(runner), ('mIoU', 'TC'))
    vis_data = train_dir / '20261207_000000' / 'vis_data'
    vis_data.mkdir(parents=True)
    (vis_data / 'scalars.json').write_text(
        '{"mIoU": 11.0, "TC": 50.0, "step": 1}\n'
        '{"loss": 2.0, "step": 3}\n'
        '{"mIoU": 31.5, "TC": 88.25, "step": 3}\n')
    job.seconds = 4.0
    runner._record(job)
    assert read_result(str(train_dir)) == {
        'seconds': 4.0,
        'mIoU': 31.5,
        'TC': 88.25
    }


def runner_options(runner):
    runner.data_roots = {'scenes': 'data'}
    return runner.run_options('student', 'scenes', 0, 3)


def test_a_work_dir_keeps_its_settings(tmp_path):
    defaults = dict(num_train=500, iters=None)
    check_settings(str(tmp_path), dict(num_train=500, iters=None), defaults)
    check_settings(str(tmp_path), dict(num_train=500, iters=None), defaults)
    with pytest.raises(
            SystemExit, match='give another --work-dir, or the '
            'same options'):
        check_settings(str(tmp_path), dict(num_train=8, iters=2), defaults)


def test_a_setting_added_later_takes_its_default_in_older_work_dirs(tmp_path):
    write_json(str(tmp_path / 'settings.json'), dict(num_train=500))
    defaults = dict(num_train=500, phase_epochs=None)
    check_settings(
        str(tmp_path), dict(num_train=500, phase_epochs=None), defaults)
    with pytest.raises(SystemExit, match='phase_epochs'):
        check_settings(
            str(tmp_path), dict(num_train=500, phase_epochs=1), defaults)


def test_results_are_written_whole(tmp_path):
    assert read_result(str(tmp_path)) is None
    write_json(str(tmp_path / 'result.json'), {'mIoU': 1.5})
    assert read_result(str(tmp_path)) == {'mIoU': 1.5}
    assert os.listdir(tmp_path) == ['result.json']


@pytest.mark.parametrize('processes', [1, 2])
def test_a_teacher_trains_in_its_processes_with_its_batch_split(
        tmp_path, processes):
    """What the real tables do on two cores (the smoke trains its teachers
    in one process); the job itself is not run."""
    from unittest import mock

    from mmskd.ablation import TABLES
    runner = AblationRunner(
        AblationSettings(work_dir=str(tmp_path), teacher_processes=processes),
        root=REPO)
    runner.lanes = 2
    runner.data_roots = {'scenes': str(tmp_path / 'data' / 'scenes')}
    with mock.patch('mmskd.ablation.runner.run_queue') as run_queue, \
            mock.patch('mmskd.ablation.runner.last_checkpoint'):
        runner.train_teacher(TABLES['ka'])
    (job, ), _, _ = run_queue.call_args.args
    words = ' '.join(job.command)
    assert ('--nproc_per_node=2' in words) == (processes == 2)
    # The teacher's config takes 8 images a step: 4 in each of 2 processes.
    split = 'train_dataloader.batch_size=4'
    assert (split in words) == (processes == 2)

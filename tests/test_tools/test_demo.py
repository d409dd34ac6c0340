# Copyright (c) mmskd contributors. All rights reserved.
"""tools/demo.py (``make demo``), mmskd.demo behind it and its configs (the
scenes it writes are tested in tests/test_datasets/test_scenes.py)."""
import json
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmskd.demo import (common_options, find_root, load_run, plan_phases,
                        schedule_of, seeds_report)
from mmskd.models.distillers import infer_connector_channels
from mmskd.models.utils import load_model_cfg
from mmskd.registry import MODELS
from mmskd.testing import REPO, run_command

DEMO = osp.join(REPO, 'configs', 'demo')
TEACHER = osp.join(DEMO, 'pspnet_r101-d8_w16_scenes-128x128.py')
STUDENT = osp.join(DEMO, 'pspnet_r18-d8_w8_scenes-128x128.py')
DISTILL = osp.join(DEMO,
                   'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py')
DISTILL_UNL = osp.join(
    DEMO, 'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-unl-128x128.py')
KEYS = ['teacher', 'student', 'distilled', 'distilled + unlabelled']
ROW = re.compile(r'^\| (teacher|student|distilled|distilled \+ unlabelled): '
                 r'.*\| (\d+\.\d\d)M \| (\d+\.\d\d) \|$')


def test_smoke_run_prints_the_table(tmp_path):
    work_dir = tmp_path / 'demo'
    result = run_command([
        sys.executable, 'tools/demo.py', '--smoke', '--seed', '3',
        '--work-dir',
        str(work_dir)
    ],
                         timeout=600)
    rows = [
        ROW.match(line) for line in result.stdout.splitlines()
        if ROW.match(line)
    ]
    assert [row.group(1) for row in rows] == KEYS, result.stdout
    for row in rows:
        assert 0 <= float(row.group(3)) <= 100
    assert float(rows[0].group(2)) > float(rows[1].group(2)) == \
        float(rows[2].group(2)) == float(rows[3].group(2))
    assert 'Distillation gain: ' in result.stdout
    assert 'with unlabelled images: ' in result.stdout
    assert re.search(r'total \d+\.\d min', result.stdout)

    with open(work_dir / 'results.json') as file:
        results = json.load(file)
    assert [row['key'] for row in results['rows']] == \
        ['teacher', 'student', 'distilled', 'unlabelled']
    assert [row['config'] for row in results['rows']] == [
        osp.relpath(path, REPO)
        for path in (TEACHER, STUDENT, DISTILL, DISTILL_UNL)
    ]
    assert results['num_labelled'] == 4
    for row in results['rows']:
        assert osp.basename(row['checkpoint']) == 'iter_2.pth'
    # The distilled run loaded the teacher the demo trained.
    for run in ('distilled', 'unlabelled'):
        log = (work_dir / f'train_{run}.log').read_text()
        assert 'distill.loss_cwd' in log and 'distill.loss_ho' in log
        assert 'distill.loss_pa' in log and 'distill.loss_pi' in log
    # The 4 scenes after the 4 labelled ones, images only.
    unlabelled = sorted(
        (work_dir / 'data' / 'leftImg8bit' / 'unlabelled' / 'city').iterdir())
    assert len(unlabelled) == 4
    train = sorted((work_dir / 'data' / 'leftImg8bit' / 'train' /
                    'city').iterdir())
    assert [path.name for path in unlabelled] == \
        [path.name for path in train[4:]]

    # The figure: 4 validation scenes (rows) x image, ground truth and the
    # four models (columns), 256-pixel tiles with 4-pixel gaps.
    assert results['predictions'] == str(work_dir / 'predictions.png')
    figure = cv2.imread(results['predictions'])
    assert figure.shape == (4 * 256 + 3 * 4, 6 * 256 + 5 * 4, 3)
    tiles = [figure[:256, x:x + 256] for x in range(0, 6 * 260, 260)]
    assert all(tile.std() > 10 for tile in tiles)
    # Ground truth and predictions are drawn maps, not the image again.
    assert all(np.abs(tile.astype(int) - tiles[0]).mean() > 5
               for tile in tiles[1:])
    # Progress went through mmengine's logger into the demo's log file.
    demo_log = (work_dir / 'demo.log').read_text()
    assert 'mmskd_demo - INFO - teacher    Iter(train) [2/2]' in demo_log
    # The figure's models load their checkpoints, teachers included.
    assert 'teacher_ckpt is not set' not in demo_log


def test_the_unlabelled_run_adds_images_only():
    """Its labelled scenes are the students' few, its model, schedule and
    seed the distilled run's; the teacher sees every label."""
    student = Config.fromfile(STUDENT)
    distill = Config.fromfile(DISTILL)
    unlabelled = Config.fromfile(DISTILL_UNL)
    labelled, images = unlabelled.train_dataloader.dataset.datasets
    for key in ('data_root', 'data_prefix', 'pipeline', 'indices'):
        assert labelled[key] == student.train_dataloader.dataset[key], key
    assert student.train_dataloader.dataset.indices == 100
    assert 'indices' not in Config.fromfile(TEACHER).train_dataloader.dataset
    assert images.type == 'UnlabelledImageDataset'
    assert images.data_prefix.img_path == 'leftImg8bit/unlabelled'
    assert images.pipeline == labelled.pipeline
    sampler = unlabelled.train_dataloader.sampler
    assert sampler.batch_size == 2 * student.train_dataloader.batch_size
    assert sampler.source_ratio == [1, 1]
    assert unlabelled.train_dataloader.batch_size == sampler.batch_size
    assert labelled.type == 'CheckedCityscapesDataset'
    for key in ('model', 'optim_wrapper', 'param_scheduler', 'train_cfg',
                'randomness', 'val_dataloader', 'val_evaluator'):
        assert unlabelled[key] == distill[key], key
    assert student.randomness.deterministic


def test_student_and_distilled_share_schedule_data_and_model():
    student = Config.fromfile(STUDENT)
    distill = Config.fromfile(DISTILL)
    assert distill.train_cfg == student.train_cfg
    assert distill.train_dataloader == student.train_dataloader
    assert distill.val_dataloader == student.val_dataloader
    assert distill.val_evaluator == student.val_evaluator
    assert distill.randomness == student.randomness
    assert distill.optim_wrapper.architecture.optimizer == \
        student.optim_wrapper.optimizer
    assert distill.param_scheduler.architecture == student.param_scheduler
    assert load_model_cfg(distill.model.architecture) == \
        load_model_cfg(dict(cfg_path=STUDENT))
    assert load_model_cfg(distill.model.teacher) == \
        load_model_cfg(dict(cfg_path=TEACHER))
    # All four terms; the CWD connector gets the demo widths from the models.
    losses = distill.model.distiller.distill_losses
    assert set(losses) == {'loss_pi', 'loss_pa', 'loss_cwd'}
    assert distill.model.discriminator.in_channels == 19
    filled = infer_connector_channels(
        distill.model.distiller,
        MODELS.build(distill.model.architecture),
        MODELS.build(distill.model.teacher))
    connector = filled['connectors']['student_feature']
    assert connector['in_channel'] == student.model.decode_head.channels
    assert connector['out_channel'] == \
        Config.fromfile(TEACHER).model.decode_head.channels


def _write_results(work_dir, seed, miou, minutes):
    keys = ['teacher', 'student', 'distilled', 'unlabelled']
    work_dir.mkdir()
    results = dict(
        seed=seed,
        rows=[dict(key=key, mIoU=value) for key, value in zip(keys, miou)],
        seconds=dict(total=minutes * 60))
    (work_dir / 'results.json').write_text(json.dumps(results))
    return str(work_dir)


def test_seeds_table_reports_mean_std_and_the_3_sigma_verdict(tmp_path):
    # Gains (distilled, unlabelled) over the student: (+1, +3), (-1, +4),
    # (+3, +5): means +1 and +4, stds 2 and 1 (n - 1).
    work_dirs = [
        _write_results(tmp_path / 'b', 1, [30, 20, 19, 24], 6.0),
        _write_results(tmp_path / 'a', 0, [32, 22, 23, 25], 5.0),
        _write_results(tmp_path / 'c', 2, [31, 21, 24, 26], 7.0),
    ]
    lines = seeds_report(work_dirs).splitlines()
    assert lines[2] == ('| 0 | 32.00 | 22.00 | 23.00 | 25.00 | +1.00 '
                        '| +3.00 | 5.0 |')
    assert [line.split(' | ')[0] for line in lines[2:5]] == \
        ['| 0', '| 1', '| 2']
    assert lines[5] == ('| mean ± std | 31.00 ± 1.00 | 21.00 ± 1.00 '
                        '| 22.00 ± 2.65 | 25.00 ± 1.00 | +1.00 ± 2.00 '
                        '| +4.00 ± 1.00 | 6.00 ± 1.00 |')
    assert lines[7].startswith('gain: mean +1.00, std 2.00, mean/std 0.5: '
                               'does not hold')
    assert lines[8].startswith('gain + unlabelled: mean +4.00, std 1.00, '
                               'mean/std 4.0: holds')


def test_seeds_table_names_a_work_dir_without_results(tmp_path):
    with pytest.raises(FileNotFoundError, match='finished tools/demo.py'):
        load_run(str(tmp_path))


def test_seeds_cli_prints_the_report(tmp_path):
    """tools/analysis_tools/demo_seeds.py, as README runs it."""
    work_dirs = [
        _write_results(tmp_path / f's{seed}', seed, [30, 20, 22, 24], 5.0)
        for seed in (1, 0)
    ]
    result = run_command([
        sys.executable, 'tools/analysis_tools/demo_seeds.py', *work_dirs
    ])
    assert result.stdout == seeds_report(work_dirs) + '\n'


def test_demo_finds_the_configs_and_tools_of_this_checkout():
    assert find_root() == REPO


def test_runs_are_planned_in_two_phases_or_in_turn_on_one_core():
    assert plan_phases(2) == plan_phases(16) == [
        [['teacher']], [['distilled', 'student'], ['unlabelled']]
    ]
    # The second phase starts after the teacher's checkpoint exists.
    assert plan_phases(1) == [[['teacher']],
                              [['distilled', 'student', 'unlabelled']]]


def test_options_reach_both_sources_of_the_unlabelled_run():
    options = common_options('unlabelled', '/data', 7, 5, 20)
    assert options['randomness.seed'] == 7
    for prefix in ('train_dataloader.dataset.datasets.0',
                   'train_dataloader.dataset.datasets.1',
                   'val_dataloader.dataset', 'test_dataloader.dataset'):
        assert options[f'{prefix}.data_root'] == '/data'
    assert options['train_dataloader.dataset.datasets.0.indices'] == 20
    assert 'train_dataloader.dataset.datasets.1.indices' not in options
    assert options['train_cfg.max_iters'] == 5
    teacher = common_options('teacher', '/data', 7, None, 20)
    assert not any('indices' in key or 'max_iters' in key
                   for key in teacher)


def test_labelled_scenes_must_leave_unlabelled_ones():
    with pytest.raises(SystemExit, match='--num-labelled 500 must lie'):
        schedule_of(500, num_labelled=500)
    # What is not given comes from the configs.
    assert schedule_of(500, teacher_iters=3) == (300, 3, 100)

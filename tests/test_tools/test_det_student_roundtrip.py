# Copyright (c) mmskd contributors. All rights reserved.
"""A distilled detector goes back to mmdet: train a CWD RetinaNet with
tools/train.py, keep its student with
tools/model_converters/convert_to_student.py, and
evaluate that checkpoint with mmdet's own tools/test.py and the student's
model-zoo config, all on CPU with generated COCO-layout data."""
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.utils import get_installed_path

from mmskd.models.utils import resolve_config_path
from mmskd.registry import MODELS
from mmskd.testing import (REPO, cli_options, run_command, tiny_det_options,
                           write_coco_like, write_teacher_checkpoint)

CWD_RETINANET = osp.join(
    REPO, 'configs/cwd/cwd_fpn_retinanet_r101_retinanet_r50_2x_coco.py')
STUDENT_CFG_PATH = 'mmdet::retinanet/retinanet_r50_fpn_2x_coco.py'


def output_of(result) -> str:
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory) -> str:
    return write_coco_like(str(tmp_path_factory.mktemp('coco')))


def test_student_checkpoint_runs_in_mmdet_test(coco_root, tmp_path):
    # 1. Distil (1 iteration) with a tiny teacher checkpoint of our own.
    cfg = Config.fromfile(CWD_RETINANET)
    options = tiny_det_options(cfg, coco_root)
    cfg.merge_from_dict(options)
    options['model.teacher_ckpt'] = write_teacher_checkpoint(
        cfg, str(tmp_path / 'teacher.pth'))
    work_dir = str(tmp_path / 'distill')
    trained = run_command([
        sys.executable, 'tools/train.py', CWD_RETINANET, '--work-dir',
        work_dir, *cli_options(options)
    ])
    train_log = output_of(trained)
    assert 'Epoch(train) [1][1/1]' in train_log
    assert 'distill.loss_cwd_fpn4' in train_log
    assert re.search(r'Epoch\(val\) .*coco/bbox_mAP: -?\d', train_log), \
        train_log[-3000:]
    distill_ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(distill_ckpt)

    # 2. Keep the student: exactly the mmdet student's tensors, as trained.
    student_ckpt = str(tmp_path / 'student.pth')
    run_command([
        sys.executable, 'tools/model_converters/convert_to_student.py',
        distill_ckpt, student_ckpt
    ])
    student_cfg = Config.fromfile(resolve_config_path(STUDENT_CFG_PATH))
    student_options = tiny_det_options(student_cfg, coco_root)
    student_cfg.merge_from_dict(student_options)
    student = MODELS.build(dict(student_cfg.model, _scope_='mmdet'))
    saved = torch.load(student_ckpt, map_location='cpu', weights_only=False)
    state_dict = saved.get('state_dict', saved)
    distilled = torch.load(
        distill_ckpt, map_location='cpu', weights_only=False)['state_dict']
    assert set(state_dict) == set(student.state_dict()), \
        'the converted keys are not those of the mmdet student'
    for key, value in state_dict.items():
        assert torch.equal(value, distilled[f'architecture.{key}']), key

    # 3. mmdet's own test script, without mmskd, on the model-zoo config.
    script = osp.join(get_installed_path('mmdet'), '.mim', 'tools', 'test.py')
    tested = run_command([
        sys.executable, script,
        resolve_config_path(STUDENT_CFG_PATH), student_ckpt, '--work-dir',
        str(tmp_path / 'test'), *cli_options(student_options)
    ],
                         cwd=str(tmp_path))
    test_log = output_of(tested)
    assert re.search(r'Epoch\(test\) .*coco/bbox_mAP: -?\d', test_log), \
        test_log[-3000:]
    # Every tensor of the student loaded, none left at its initialisation.
    assert 'do not match exactly' not in test_log, test_log[-3000:]

# Copyright (c) mmskd contributors. All rights reserved.
"""Two teachers through the stock tools: tools/dist_train.sh on two
processes with ``--amp`` trains and validates the student on the teachers'
averaged maps, tools/test.py scores the checkpoint as the run's validation
did, the student converts, and a one-process ``--resume`` continues the run
with every tensor of both teachers loaded.

The averaged config runs here because it holds the per-teacher one's
mechanics (each teacher a namespaced submodule with its own checkpoint) and
the averages on top; the per-teacher config trains in process
(tests/test_models/test_teachers/test_teacher_ensemble.py)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmskd.registry import MODELS
from mmskd.testing import (REPO, assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_student_converts, assert_test_py_reproduces,
                           cli_options, run_command, run_tool, tiny_cfg,
                           tiny_seg_options)

CONFIG = osp.join(
    REPO, 'configs/multi_teacher/'
    'pi_pa_avg_pspnet_r101-d8_deeplabv3plus_r101-d8_pspnet_r18-d8_'
    '4xb2-80k_cityscapes-512x1024.py')


@pytest.fixture(scope='module')
def options(cityscapes_root, tmp_path_factory) -> dict:
    """Tiny models on generated images, a checkpoint for each teacher."""
    overrides = tiny_seg_options(Config.fromfile(CONFIG), cityscapes_root)
    cfg = tiny_cfg(CONFIG, cityscapes_root)
    init_default_scope(cfg.default_scope)
    folder = tmp_path_factory.mktemp('teachers')
    for name, teacher in cfg.model.teacher.teachers.items():
        torch.manual_seed(len(name))
        model = MODELS.build({
            key: value
            for key, value in teacher.items() if key != 'ckpt'
        })
        path = str(folder / f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
        overrides[f'model.teacher.teachers.{name}.ckpt'] = path
    return overrides


def test_dist_train_amp_then_every_tool(options, cityscapes_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    trained = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--amp', *cli_options(options)
    ])
    log = trained.stdout + trained.stderr
    assert 'Distributed training: True' in log and 'AmpOptimWrapper' in log
    for term in ('distill.loss_pi', 'distill.loss_pa'):
        assert term in log, log[-3000:]
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = assert_no_wrapper_names(checkpoint)
    for name in ('pspnet', 'deeplabv3plus'):
        assert any(key.startswith(f'teacher.{name}.') for key in state)
    assert_test_py_reproduces(run_command, CONFIG, checkpoint, log,
                              str(tmp_path / 'test'), cli_options(options))
    student_cfg = tiny_cfg(CONFIG, cityscapes_root)
    assert_student_converts(checkpoint, str(tmp_path / 'student.pth'),
                            MODELS.build(student_cfg.model.architecture))
    assert_resumes_in_one_process(
        run_command,
        CONFIG,
        work_dir,
        cli_options({
            **options, 'train_cfg.max_iters': 3
        }),
        resumed_iter=2,
        max_iters=3,
        extra=['--amp'])

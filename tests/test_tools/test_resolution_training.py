# Copyright (c) mmskd contributors. All rights reserved.
"""A student at half the teacher's resolution through the stock tools:
tools/dist_train.sh on two processes trains and validates it, tools/test.py
scores the checkpoint as the run's validation did (validation and test both
run the student's ``_predict``, at its own size), and a one-process
``--resume`` continues the run with every tensor loaded."""
import os.path as osp

import pytest

from mmskd.testing import (REPO, assert_resumes_in_one_process,
                           assert_test_py_reproduces, cli_options, run_command,
                           run_tool, tiny_options_with_teacher)

CONFIG = osp.join(
    REPO, 'configs/resolution/'
    'skd_pspnet_r101-d8-512x1024_pspnet_r18-d8-256x512_4xb2-80k_'
    'cityscapes.py')


@pytest.fixture(scope='module')
def options(cityscapes_root, tmp_path_factory) -> dict:
    """Tiny models on generated 64x128 images, a teacher checkpoint."""
    return tiny_options_with_teacher(CONFIG, cityscapes_root,
                                     str(tmp_path_factory.mktemp('teacher')))


def test_dist_train_then_test_and_resume(options, tmp_path):
    work_dir = str(tmp_path / 'work')
    trained = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        *cli_options(options)
    ])
    log = trained.stdout + trained.stderr
    assert 'Distributed training: True' in log
    assert 'distill.loss_pa' in log and 'disc.loss_gp' in log
    assert_test_py_reproduces(run_command, CONFIG,
                              osp.join(work_dir, 'iter_2.pth'), log,
                              str(tmp_path / 'test'), cli_options(options))
    assert_resumes_in_one_process(
        run_command,
        CONFIG,
        work_dir,
        cli_options({
            **options, 'train_cfg.max_iters': 3
        }),
        resumed_iter=2,
        max_iters=3)

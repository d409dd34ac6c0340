# Copyright (c) mmskd contributors. All rights reserved.
"""A SegFormer teacher and a PSPNet student through the stock tools:
tools/train.py trains and validates the student, tools/test.py scores the
checkpoint as the run's validation did, and ``--resume`` continues the run
with every tensor (student, connector, critic, both optimizers) loaded."""
import os.path as osp
import sys

import pytest

from mmskd.testing import (REPO, assert_resumes_in_one_process,
                           assert_test_py_reproduces, cli_options, run_command,
                           tiny_options_with_teacher)

CONFIG = osp.join(
    REPO, 'configs/transformer_teachers/'
    'skd_cwd_segformer_mit-b5_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


@pytest.fixture(scope='module')
def options(cityscapes_root, tmp_path_factory) -> dict:
    """Tiny models on generated 64x128 images, a SegFormer checkpoint."""
    return tiny_options_with_teacher(CONFIG, cityscapes_root,
                                     str(tmp_path_factory.mktemp('teacher')))


def test_train_then_test_and_resume(options, tmp_path):
    work_dir = str(tmp_path / 'work')
    trained = run_command([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', work_dir,
        *cli_options(options)
    ])
    log = trained.stdout + trained.stderr
    for term in ('distill.loss_pi', 'distill.loss_cwd', 'distill.loss_ho',
                 'disc.loss_gp'):
        assert term in log, log[-3000:]
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

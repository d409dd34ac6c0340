# Copyright (c) mmskd contributors. All rights reserved.
"""The full SKD config (pixel-wise + pair-wise + holistic), launched as a
user launches it: tools/dist_train.sh on two processes, then every tool on
its checkpoint (test.py, convert_to_student, visualize_distill, a
one-process --resume); --amp and its resume with this algorithm:
tests/test_tools/test_unlabelled_training.py."""
import glob
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config

from mmskd.registry import MODELS
from mmskd.testing import (MISMATCH_WARNING, REPO, assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_student_converts, assert_test_py_reproduces,
                           cli_options, run_command, run_tool,
                           tiny_seg_options)

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
HOLISTIC_KEYS = ('distill.loss_ho', 'disc.loss_adv', 'disc.loss_gp',
                 'disc.wdist')


@pytest.fixture(scope='module')
def options(cityscapes_root) -> dict:
    return tiny_seg_options(Config.fromfile(SKD), cityscapes_root)


def assert_holistic_training(log: str, last_iter: int, max_iters: int):
    line = re.findall(rf'Iter\(train\) \[{last_iter}/{max_iters}\].*', log)
    assert line, log[-3000:]
    for key in HOLISTIC_KEYS + ('distill.loss_pi', 'distill.loss_pa'):
        assert re.search(rf'{re.escape(key)}: -?\d', line[-1]), key
    assert 'discriminator.lr' in line[-1]
    assert re.search(r'Iter\(val\) .*mIoU: \d', log)


def test_dist_train_two_gloo_processes_then_every_tool(
        options, cityscapes_root, tmp_path):
    """The user's path from a 2-process checkpoint: test.py scores what the
    run's last validation scored, the student converts, the pair is drawn,
    and a 1-process --resume continues it; every tensor loads each time."""
    work_dir = str(tmp_path / 'work')
    result = run_tool(
        [
            'bash', 'tools/dist_train.sh', SKD, '2', '--work-dir', work_dir,
            *cli_options(options)
        ])
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert "type='MMSeparateDistributedDataParallel'" in log
    if not torch.cuda.is_available():
        for rank in (0, 1):
            assert f'CPU distributed run (rank {rank}): gloo backend, ' \
                '6 SyncBN configs reverted to BN' in log
    assert_holistic_training(log, 2, 2)
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = assert_no_wrapper_names(checkpoint)
    assert any(k.startswith('discriminator.') for k in state)

    assert_test_py_reproduces(run_command, SKD, checkpoint, log,
                              str(tmp_path / 'test'), cli_options(options))
    student_cfg = Config.fromfile(SKD)
    student_cfg.merge_from_dict(options)
    assert_student_converts(checkpoint,
                            str(tmp_path / 'student.pth'),
                            MODELS.build(student_cfg.model.architecture))
    images = sorted(
        glob.glob(osp.join(cityscapes_root, 'leftImg8bit', 'val', '*', '*')))
    drawn = run_command([
        sys.executable, 'tools/analysis_tools/visualize_distill.py', SKD,
        checkpoint, images[0], '--out-dir',
        str(tmp_path / 'vis'), *cli_options(options)
    ])
    assert MISMATCH_WARNING not in drawn.stdout + drawn.stderr
    assert osp.isfile(str(tmp_path / 'vis' / 'summary.json'))

    log = assert_resumes_in_one_process(
        run_command, SKD, work_dir,
        cli_options(dict(options, **{'train_cfg.max_iters': 3})), 2, 3)
    assert 'Iter(train) [1/3]' not in log
    assert_holistic_training(log, 3, 3)
    resumed = torch.load(
        osp.join(work_dir, 'iter_3.pth'), weights_only=False)
    assert set(resumed['optimizer']) >= {'architecture', 'discriminator'}

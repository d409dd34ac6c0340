# Copyright (c) mmskd contributors. All rights reserved.
"""The full SKD config (pixel-wise + pair-wise + holistic), launched as a
user launches it: tools/dist_train.sh, then --resume (tools/train.py, --amp
and its resume with this algorithm: tests/test_tools/
test_unlabelled_training.py)."""
import os.path as osp
import random
import re

import pytest
import torch
from mmengine.config import Config
from utils import REPO, cli_options, run_command

from mmskd.testing import tiny_seg_options

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


def test_dist_train_two_gloo_processes_then_resume(options, tmp_path):
    work_dir = str(tmp_path / 'work')

    def dist_train(*extra: str, max_iters: int) -> str:
        result = run_command(
            [
                'bash', 'tools/dist_train.sh', SKD, '2', '--work-dir',
                work_dir, *extra, *cli_options(
                    dict(options, **{'train_cfg.max_iters': max_iters}))
            ],
            env=dict(PORT=str(random.randint(20000, 40000))))
        return result.stdout + result.stderr

    log = dist_train(max_iters=2)
    assert 'Distributed training: True' in log
    assert "type='MMSeparateDistributedDataParallel'" in log
    if not torch.cuda.is_available():
        for rank in (0, 1):
            assert f'CPU distributed run (rank {rank}): gloo backend, ' \
                '6 SyncBN configs reverted to BN' in log
    assert_holistic_training(log, 2, 2)
    log = dist_train('--resume', max_iters=4)
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [1/4]' not in log
    assert_holistic_training(log, 4, 4)
    checkpoint = torch.load(
        osp.join(work_dir, 'iter_4.pth'), weights_only=False)
    assert set(checkpoint['optimizer']) >= {'architecture', 'discriminator'}
    assert any(k.startswith('discriminator.')
               for k in checkpoint['state_dict'])

# Copyright (c) mmskd contributors. All rights reserved.
"""The full SKD config (pixel-wise + pair-wise + holistic), launched as a
user launches it: tools/train.py, --resume, --amp, tools/dist_train.sh."""
import os.path as osp
import random
import re
import sys

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


def test_train_then_resume(options, tmp_path):
    work_dir = str(tmp_path / 'work')
    first = run_command([
        sys.executable, 'tools/train.py', SKD, '--work-dir', work_dir,
        *cli_options(options)
    ])
    assert_holistic_training(first.stdout + first.stderr, 2, 2)
    resumed = run_command([
        sys.executable, 'tools/train.py', SKD, '--work-dir', work_dir,
        '--resume', *cli_options(dict(options, **{'train_cfg.max_iters': 4}))
    ])
    log = resumed.stdout + resumed.stderr
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [1/4]' not in log
    assert_holistic_training(log, 4, 4)
    checkpoint = torch.load(
        osp.join(work_dir, 'iter_4.pth'), weights_only=False)
    assert set(checkpoint['optimizer']) >= {'architecture', 'discriminator'}
    assert any(k.startswith('discriminator.')
               for k in checkpoint['state_dict'])


def test_amp(options, tmp_path):
    result = run_command([
        sys.executable, 'tools/train.py', SKD, '--amp', '--work-dir',
        str(tmp_path / 'work'), *cli_options(options)
    ])
    log = result.stdout + result.stderr
    amp_type = 'AmpOptimWrapper' if torch.cuda.is_available() else \
        'mmskd.CPUAmpOptimWrapper'
    assert log.count(f"type='{amp_type}'") >= 2  # student and critic
    assert_holistic_training(log, 2, 2)


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
    assert_holistic_training(log, 2, 2)
    log = dist_train('--resume', max_iters=4)
    assert 'resumed epoch: 0, iter: 2' in log
    assert_holistic_training(log, 4, 4)


@pytest.mark.parametrize('method', ['skd_pi_pa', 'skd_cwd'])
def test_other_skd_configs_through_train_py(method, cityscapes_root,
                                            tmp_path):
    config = SKD.replace('/skd_pspnet', f'/{method}_pspnet')
    options = tiny_seg_options(Config.fromfile(config), cityscapes_root)
    result = run_command([
        sys.executable, 'tools/train.py', config, '--work-dir',
        str(tmp_path / 'work'), *cli_options(options)
    ])
    log = result.stdout + result.stderr
    last = re.findall(r'Iter\(train\) \[2/2\].*', log)[-1]
    expected = dict(
        skd_pi_pa=('distill.loss_pi', 'distill.loss_pa'),
        skd_cwd=('distill.loss_pi', 'distill.loss_cwd') + HOLISTIC_KEYS)
    for key in expected[method]:
        assert re.search(rf'{re.escape(key)}: -?\d', last), key
    assert re.search(r'Iter\(val\) .*mIoU: \d', log)

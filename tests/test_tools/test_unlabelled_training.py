# Copyright (c) mmskd contributors. All rights reserved.
"""Distillation on unlabelled images, launched as a user launches it:
tools/dist_train.sh with 2 gloo processes (--amp), resumed by tools/train.py
(--amp --resume), on a generated Cityscapes-layout set plus an image-only
folder."""
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config

from mmskd.testing import (REPO, cli_options, run_tool, tiny_seg_options,
                           write_cityscapes_with_extra)

CONFIG = osp.join(
    REPO, 'configs/skd/skd_pspnet_r101-d8_pspnet_r18-d8_4xb4-80k_'
    'cityscapes-trainextra-unl-512x1024.py')
TASK_KEYS = ('student.decode.loss_ce', 'student.aux.loss_ce')
DISTILL_KEYS = ('distill.loss_pi', 'distill.loss_pa', 'distill.loss_ho')


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    return write_cityscapes_with_extra(
        str(tmp_path_factory.mktemp('cityscapes')))


def last_train_line(log: str, iters: int) -> str:
    lines = re.findall(rf'Iter\(train\) \[{iters}/{iters}\].*', log)
    assert lines, log[-3000:]
    return lines[-1]


def logged(line: str, key: str) -> float:
    match = re.search(rf'{re.escape(key)}: (-?[\d.]+(?:e[-+]?\d+)?)', line)
    assert match, f'{key} not logged: {line}'
    return float(match.group(1))


def train(config: str, root: str, work_dir: str, *extra: str,
          processes: int = 1, max_iters: int = 2) -> str:
    """``tools/train.py``, or ``tools/dist_train.sh`` on ``processes``
    gloo processes; its output."""
    options = tiny_seg_options(Config.fromfile(config), root)
    options['train_cfg.max_iters'] = max_iters
    if processes == 1:
        command = [sys.executable, 'tools/train.py', config]
    else:
        command = ['bash', 'tools/dist_train.sh', config, str(processes)]
    result = run_tool(
        [*command, '--work-dir', work_dir, *extra, *cli_options(options)])
    return result.stdout + result.stderr


def test_dist_train_amp_then_train_py_resume(root, tmp_path):
    """Mixed batches on 2 gloo processes in mixed precision, resumed by
    ``tools/train.py`` in one process: the task loss of the labelled
    images, every term on all of them."""
    work_dir = str(tmp_path / 'work')
    log = train(CONFIG, root, work_dir, '--amp', processes=2)
    assert 'Distributed training: True' in log
    amp_type = 'AmpOptimWrapper' if torch.cuda.is_available() else \
        'mmskd.CPUAmpOptimWrapper'
    assert log.count(f"type='{amp_type}'") >= 2  # student and discriminator
    line = last_train_line(log, 2)
    for key in TASK_KEYS + DISTILL_KEYS:
        logged(line, key)
    assert logged(line, 'student.decode.loss_ce') > 0
    assert re.search(r'Iter\(val\) .*mIoU: \d', log)
    log = train(CONFIG, root, work_dir, '--amp', '--resume', max_iters=4)
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [1/4]' not in log
    line = last_train_line(log, 4)
    assert logged(line, 'student.decode.loss_ce') > 0
    for key in DISTILL_KEYS:
        logged(line, key)


def test_dist_train_on_unlabelled_images_only(root, tmp_path):
    """Batches without a labelled image train through DDP (the zero task
    losses reach every student parameter, or the second iteration fails
    with unused parameters) and log zero task losses."""
    config = tmp_path / 'unlabelled_only.py'
    config.write_text(
        f'_base_ = [{CONFIG!r}]\n'
        'train_dataloader = dict(\n'
        "    sampler=dict(_delete_=True, type='InfiniteSampler'),\n"
        '    dataset=dict(_delete_=True, **_base_.unlabelled_images))\n')
    log = train(str(config), root, str(tmp_path / 'work'), processes=2)
    line = last_train_line(log, 2)
    for key in TASK_KEYS:
        assert logged(line, key) == 0, key
    assert logged(line, 'distill.loss_pi') > 0
    assert logged(line, 'distill.loss_pa') > 0

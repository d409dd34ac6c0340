# Copyright (c) mmskd contributors. All rights reserved.
"""A short CPU distillation run on generated data (README's main job).

It writes a small Cityscapes-layout dataset, a tiny teacher checkpoint, and
trains the channel-wise distillation config through ``tools/train.py`` with
its models shrunk by ``--cfg-options``.
"""
import argparse
import os.path as osp
import subprocess
import sys
import tempfile

import torch
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
from mmskd.models.utils import build_architecture  # noqa: E402
from mmskd.testing import (format_cfg_options, tiny_seg_options,  # noqa
                           write_cityscapes_like)

CONFIG = osp.join(
    ROOT, 'configs/cwd/'
    'cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default=None)
    parser.add_argument('--iters', type=int, default=20)
    args = parser.parse_args()
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='mmskd_demo_')
    data_root = write_cityscapes_like(osp.join(work_dir, 'data'),
                                      num_images=8)
    cfg = Config.fromfile(CONFIG)
    options = tiny_seg_options(
        cfg, data_root, max_iters=args.iters, val_interval=args.iters)
    cfg.merge_from_dict(options)
    torch.manual_seed(0)
    teacher_ckpt = osp.join(work_dir, 'teacher.pth')
    teacher = build_architecture(cfg.model.teacher)
    torch.save(dict(state_dict=teacher.state_dict()), teacher_ckpt)
    options['model.teacher_ckpt'] = teacher_ckpt
    command = [
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'), CONFIG, '--work-dir',
        osp.join(work_dir, 'distill'), '--cfg-options',
        *format_cfg_options(options)
    ]
    print(' '.join(command), flush=True)
    subprocess.run(command, check=True)
    print(f'Done; logs and checkpoints are in {work_dir}/distill')


if __name__ == '__main__':
    main()

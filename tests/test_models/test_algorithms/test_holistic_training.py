# Copyright (c) mmskd contributors. All rights reserved.
"""Holistic distillation in real training: DDP and exact resume."""
import copy
import json
import os.path as osp
import sys

import torch
from mmengine.runner import Runner

from mmskd.testing import REPO, free_port, run_tool, tiny_cfg
from mmskd.utils import allow_mmengine_checkpoints

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def test_ddp_two_processes_keep_student_disc_and_connector_in_sync(
        cityscapes_root, tmp_path):
    out = str(tmp_path / 'result.json')
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        'tests/scripts/holistic_ddp_worker.py', SKD, cityscapes_root, out
    ],
                timeout=300)
    with open(out) as f:
        result = json.load(f)
    assert result['same'] == dict(
        student=True, discriminator=True, connector=True)
    assert result['disc_changed']
    assert {'disc.loss_gp', 'distill.loss_ho', 'distill.loss_cwd'} <= set(
        result['log_keys'])


def _state(runner: Runner) -> dict:
    model = runner.model
    return dict(
        model={k: v.clone()
               for k, v in model.state_dict().items()},
        optim=copy.deepcopy(runner.optim_wrapper.state_dict()))


def _assert_same(a, b, path=''):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            _assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path


def test_resume_continues_exactly(cityscapes_root, tmp_path, monkeypatch,
                                  fast_runner):
    """A run resumed from iter_2.pth trains iteration 3 exactly as the
    uninterrupted run does: the same random crop and flip of the same
    batch, the same dropout masks and gradient-penalty interpolates. Nothing
    is reseeded in between: the random states come from the checkpoint
    (RandomStateHook of the config's dataset base)."""
    # What tools/train.py does before building the Runner.
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    allow_mmengine_checkpoints()

    def make_runner(name: str, resume_from: str = None) -> Runner:
        # Validation and checkpoints every 2 iterations: iteration 3 follows
        # a validation, which must not shift the random states either.
        cfg = tiny_cfg(SKD, cityscapes_root, max_iters=3, val_interval=2)
        cfg.work_dir = str(tmp_path / name)
        cfg.experiment_name = name
        cfg.load_from = resume_from
        cfg.resume = resume_from is not None
        cfg.randomness = dict(seed=0)
        cfg.default_hooks.checkpoint.save_optimizer = True
        return Runner.from_cfg(cfg)

    uninterrupted = make_runner('first')
    uninterrupted.train()  # iterations 1-3, saving iter_2.pth on the way
    expected = _state(uninterrupted)
    checkpoint = torch.load(
        osp.join(uninterrupted.work_dir, 'iter_2.pth'), weights_only=False)
    assert set(checkpoint['random_states']) >= {'python', 'numpy', 'torch'}

    resumed = make_runner('second', osp.join(uninterrupted.work_dir,
                                             'iter_2.pth'))
    resumed.train()  # loads iter_2.pth, trains iteration 3
    assert resumed.iter == 3
    # The holistic PolyLRs have no `end`: they last train_cfg.max_iters.
    assert [s.end for s in resumed.param_schedulers['discriminator']] == [3]
    _assert_same(expected, _state(resumed))
    for name in ('architecture', 'discriminator'):
        assert [s.state_dict() for s in uninterrupted.param_schedulers[name]
                ] == [s.state_dict() for s in resumed.param_schedulers[name]]

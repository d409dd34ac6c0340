# Copyright (c) mmskd contributors. All rights reserved.
"""A three-task network with an auxiliary module per task and learnt task
weights (SUNRGBD's U-shape Auxi-all config with Kendall's weighting,
narrowed, on the generated rooms) through the stock tools:
tools/dist_train.sh on two
processes with ``--amp`` trains and validates it, tools/test.py scores the
checkpoint as the run's validation did (mIoU, depth and normal metrics),
the deployable checkpoint (``convert_to_student.py --drop-auxiliary-heads``)
is exactly the network the config without the modules builds, with its
parameters and FLOPs (get_flops.py's counting), and a one-process ``--resume``
continues the run; in process, a resumed run continues exactly."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from mmseg.registry import MODELS

from mmskd.ablation.multi_task_rooms import write_multi_task_rooms
from mmskd.analysis import config_complexity
from mmskd.testing import (REPO, assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_test_py_reproduces, cli_options, load_tool,
                           run_command, run_tool, tiny_multi_task_options)
from mmskd.utils import allow_mmengine_checkpoints

FOLDER = osp.join(REPO, 'configs', 'multitask')
CONFIG = osp.join(FOLDER,
                  'mtl_m-v2-d8-u-shape_aux-all_4xb3-80k_sunrgbd-385x385.py')
PLAIN = osp.join(FOLDER,
                 'mtl_m-v2-d8-u-shape_joint_4xb3-80k_sunrgbd-385x385.py')
METRICS = ('mIoU', 'abs_rel', 'normal_mean', 'normal_11.25')


@pytest.fixture(scope='module')
def rooms(tmp_path_factory) -> str:
    return write_multi_task_rooms(
        str(tmp_path_factory.mktemp('rooms')), num_train=8, num_val=2)


def options(config: str, data_root: str, max_iters: int = 2) -> dict:
    overrides = tiny_multi_task_options(
        Config.fromfile(config), data_root, max_iters=max_iters)
    overrides['model.task_weights.type'] = 'UncertaintyTaskWeights'
    overrides['model.task_weights._scope_'] = 'mmskd'
    return overrides


def narrow(config: str, data_root: str) -> Config:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options(config, data_root))
    return cfg


def test_dist_train_amp_then_every_tool(rooms, tmp_path):
    work_dir = str(tmp_path / 'work')
    trained = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--amp', *cli_options(options(CONFIG, rooms))
    ])
    log = trained.stdout + trained.stderr
    assert 'Distributed training: True' in log and 'AmpOptimWrapper' in log
    for term in ('aux_normals_0.loss_normal_cos', 'depth.loss_uncertainty'):
        assert term in log, log[-3000:]
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    state = assert_no_wrapper_names(checkpoint)
    assert 'task_weights.log_variances.depth' in state
    assert_test_py_reproduces(
        run_command,
        CONFIG,
        checkpoint,
        log,
        str(tmp_path / 'test'),
        cli_options(options(CONFIG, rooms)),
        metrics=METRICS)

    deployable = str(tmp_path / 'deployable.pth')
    load_tool('model_converters/convert_to_student.py').convert(
        checkpoint, deployable, drop_auxiliary_heads=True)
    converted = torch.load(deployable, weights_only=True)['state_dict']
    with DefaultScope.overwrite_default_scope('mmseg'):
        plain = MODELS.build(narrow(PLAIN, rooms).model)
    assert list(converted) == list(plain.state_dict())
    plain.load_state_dict(converted, strict=True)
    for key, value in converted.items():
        assert torch.equal(value, state[key]), key
    with_modules, without = (config_complexity(narrow(config, rooms),
                                               (64, 64))['model']
                             for config in (CONFIG, PLAIN))
    assert (with_modules['params'], with_modules['flops']) == \
        (without['params'], without['flops'])
    assert with_modules['params'] == sum(p.numel()
                                         for p in plain.parameters())

    assert_resumes_in_one_process(
        run_command,
        CONFIG,
        work_dir,
        cli_options(options(CONFIG, rooms, max_iters=3)),
        resumed_iter=2,
        max_iters=3,
        extra=['--amp'])


def state(runner: Runner) -> dict:
    return dict(
        model={k: v.clone()
               for k, v in runner.model.state_dict().items()},
        optim=copy.deepcopy(runner.optim_wrapper.state_dict()))


def assert_same(a, b, path=''):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for key in a:
            assert_same(a[key], b[key], f'{path}.{key}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f'{path}[{i}]')
    else:
        assert a == b, path


def test_resume_continues_exactly(rooms, tmp_path, monkeypatch, fast_runner):
    """Iteration 3 after a resume from iter_2.pth is the uninterrupted run's
    (the random reshape, crop and flip, the dropout, the learnt task
    weights and the auxiliary modules' parameters)."""
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    allow_mmengine_checkpoints()  # as tools/train.py does

    def make_runner(name: str, resume_from: str = None) -> Runner:
        cfg = Config.fromfile(CONFIG)
        cfg.merge_from_dict(options(CONFIG, rooms, max_iters=3))
        cfg.merge_from_dict({
            'default_hooks.checkpoint.interval': 2,
            'train_cfg.val_interval': 2,
        })
        cfg.work_dir = str(tmp_path / name)
        cfg.experiment_name = name
        cfg.visualizer.name = name
        cfg.load_from = resume_from
        cfg.resume = resume_from is not None
        cfg.randomness = dict(seed=0)
        return Runner.from_cfg(cfg)

    uninterrupted = make_runner('first')
    uninterrupted.train()
    resumed = make_runner('second',
                          osp.join(uninterrupted.work_dir, 'iter_2.pth'))
    resumed.train()
    assert resumed.iter == 3
    assert_same(state(uninterrupted), state(resumed))

# Copyright (c) mmskd contributors. All rights reserved.
"""A three-task network with an auxiliary module per task and learnt task
weights through the stock tools: tools/dist_train.sh on two processes with
``--amp`` trains and validates it, tools/test.py scores the checkpoint as
the run's validation did (mIoU, depth and normal metrics), the deployable
checkpoint (``convert_to_student.py --drop-auxiliary-heads``) is exactly the
network a config without the modules builds, with its parameters and FLOPs
(get_flops.py), and a one-process ``--resume`` continues the run."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from mmskd.ablation.multi_task_rooms import write_multi_task_rooms
from mmskd.analysis import config_complexity
from mmskd.testing import (REPO, assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_test_py_reproduces, cli_options, load_tool,
                           run_command, run_tool, tiny_multi_task_options)

FOLDER = osp.join(REPO, 'configs', 'multitask')
CONFIG = osp.join(FOLDER,
                  'mtl_m-v2-d8-w025_aux-all_1xb8-200_mt-rooms-128x128.py')
PLAIN = osp.join(FOLDER, 'mtl_m-v2-d8-w025_joint_1xb8-200_mt-rooms-128x128.py')
METRICS = ('mIoU', 'abs_rel', 'normal_mean', 'normal_11.25')


def options(data_root: str, max_iters: int = 2) -> dict:
    overrides = tiny_multi_task_options(
        Config.fromfile(CONFIG), data_root, max_iters=max_iters)
    overrides['model.task_weights.type'] = 'UncertaintyTaskWeights'
    overrides['model.task_weights._scope_'] = 'mmskd'
    return overrides


def build(config: str, data_root: str) -> torch.nn.Module:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options(data_root))
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg.model)


def test_dist_train_amp_then_every_tool(tmp_path):
    rooms = write_multi_task_rooms(
        str(tmp_path / 'rooms'), num_train=8, num_val=2)
    work_dir = str(tmp_path / 'work')
    trained = run_tool([
        'bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work_dir,
        '--amp', *cli_options(options(rooms))
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
        cli_options(options(rooms)),
        metrics=METRICS)

    deployable = str(tmp_path / 'deployable.pth')
    load_tool('model_converters/convert_to_student.py').convert(
        checkpoint, deployable, drop_auxiliary_heads=True)
    converted = torch.load(deployable, weights_only=True)['state_dict']
    plain = build(PLAIN, rooms)
    assert list(converted) == list(plain.state_dict())
    plain.load_state_dict(converted, strict=True)
    for key, value in converted.items():
        assert torch.equal(value, state[key]), key
    with_modules, without = (
        config_complexity(Config.fromfile(config), shape=(64, 64))['model']
        for config in (CONFIG, PLAIN))
    assert (with_modules['params'], with_modules['flops']) == \
        (without['params'], without['flops'])
    assert with_modules['params'] == sum(p.numel()
                                         for p in plain.parameters()) - 3

    assert_resumes_in_one_process(
        run_command,
        CONFIG,
        work_dir,
        cli_options(options(rooms, max_iters=3)),
        resumed_iter=2,
        max_iters=3,
        extra=['--amp'])

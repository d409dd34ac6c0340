# Copyright (c) mmskd contributors. All rights reserved.
"""configs/multitask: the full-size networks have the thesis's sizes and
the heads each leaf names, and every full-size leaf trains an iteration and
validates every task on the generated rooms (its encoder and heads cut to
width 0.25; the leaves on the rooms train with the ablation tool's options
in tests/test_ablation/test_tables.py); a Prior leaf starts from the
single-task run."""
import glob
import math
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS

from mmskd.ablation.multi_task_rooms import write_multi_task_rooms
from mmskd.testing import (CONFIG_ROOT, build_runner, logged_scalars,
                           tiny_multi_task_options)
from mmskd.utils import allow_mmengine_checkpoints

LEAVES = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, 'multitask', '*.py')))
FULL_SIZE = [name for name in LEAVES if 'rooms' not in name]
TASK_METRICS = dict(seg='mIoU', depth='abs_rel', normals='normal_mean')
TASK_LOSSES = dict(
    seg='seg.loss_ce',
    depth='depth.loss_depth_bin',
    normals='normals.loss_normal_cos')
SEG_ONLY = 'multitask/mtl_m-v2-d8_seg-only_4xb3-30k_nyudv2-385x385.py'


@pytest.fixture(scope='module')
def rooms(tmp_path_factory) -> str:
    return write_multi_task_rooms(
        str(tmp_path_factory.mktemp('mt_rooms')), num_train=4, num_val=2)


def test_discovers_the_multitask_configs():
    assert len(LEAVES) == 26
    assert len(FULL_SIZE) == 21


@pytest.mark.parametrize('name,params', [
    ('multitask/mtl_m-v2-d8_joint_4xb3-30k_nyudv2-385x385.py', 3.31),
    ('multitask/mtl_m-v2-d8-context_joint_4xb3-30k_nyudv2-385x385.py', 3.98),
    ('multitask/mtl_m-v2-d8-u-shape_joint_4xb3-30k_nyudv2-385x385.py', 4.19),
])
def test_networks_have_the_thesis_sizes(name, params):
    """Table 6.3's parameter counts (MobileNetV2 without its classifier),
    within 1.5 %."""
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    cfg.model.pretrained = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    count = sum(p.numel() for p in model.parameters()) / 1e6
    assert count == pytest.approx(params, rel=0.015)


@pytest.mark.parametrize('name', FULL_SIZE)
def test_full_size_leaf_builds_the_heads_it_names(name):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    cfg.model.pretrained = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = MODELS.build(cfg.model)
    classes = 13 if 'sunrgbd' in name else 40
    assert model.tasks == tuple(cfg.model.decode_heads)
    if 'seg' in model.tasks:
        assert model.decode_heads['seg'].num_classes == classes
    kinds = {
        task: [type(head).__name__ for head in heads]
        for task, heads in model.auxiliary_heads.items()
    }
    if 'aux' in name:
        assert kinds and all(heads == ['AuxiliaryModuleHead']
                             for heads in kinds.values())
        wanted = name.split('aux-')[1].split('_')[0].split('-')[0]
        assert set(kinds) == (
            set(model.tasks) if wanted in ('all', 'both') else {wanted})
    elif 'deep-sup' in name:
        assert kinds == dict(seg=['FCNHead'] * 3, depth=['FCNHead'] * 3)
        assert model.auxiliary_weights['seg'] == [0.1] * 3
    else:
        assert not kinds


@pytest.mark.parametrize('name', FULL_SIZE)
def test_leaf_trains_and_validates_every_task(name, rooms, fast_runner,
                                              tmp_path):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    cfg.merge_from_dict(tiny_multi_task_options(cfg, rooms))
    cfg.load_from = None
    runner = build_runner(cfg, name, str(tmp_path / 'work'))
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    for task in cfg.model.decode_heads:
        assert math.isfinite(train[TASK_LOSSES[task]]), (task, train)
        assert math.isfinite(val[TASK_METRICS[task]]), (task, val)
    for task in cfg.model.get('auxiliary_heads') or {}:
        name = TASK_LOSSES[task].replace(f'{task}.', f'aux_{task}_0.')
        assert math.isfinite(train[name]), (task, train)


def test_prior_starts_from_the_single_task_run(rooms, fast_runner, tmp_path):
    single = Config.fromfile(osp.join(CONFIG_ROOT, SEG_ONLY))
    single.merge_from_dict(tiny_multi_task_options(single, rooms))
    single_runner = build_runner(single, SEG_ONLY, str(tmp_path / 'single'))
    single_runner.train()
    name = SEG_ONLY.replace('seg-only', 'prior-seg')
    prior = Config.fromfile(osp.join(CONFIG_ROOT, name))
    prior.merge_from_dict(tiny_multi_task_options(prior, rooms, max_iters=0))
    prior.load_from = str(tmp_path / 'single' / 'iter_1.pth')
    allow_mmengine_checkpoints()  # as tools/train.py does
    assert prior.optim_wrapper.optimizer.lr == 0.001
    runner = build_runner(prior, name, str(tmp_path / 'prior'))
    runner.load_or_resume()
    loaded, trained = runner.model.state_dict(), \
        single_runner.model.state_dict()
    for key, value in trained.items():
        assert (loaded[key] == value).all(), key
    assert any(key.startswith('decode_heads.depth') for key in loaded)

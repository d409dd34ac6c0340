# Copyright (c) mmskd contributors. All rights reserved.
"""One runtime base: every leaf config runs with mmskd imported and
``mmskd.RandomStateHook`` (which makes ``--resume`` exact), from
configs/_base_/default_runtime.py (segmentation, depth) or
configs/_base_/default_runtime_det.py (detection), and the dataset and
schedule bases hold no runtime keys.

Leaves are every ``configs/**/*.py`` outside ``_base_`` folders, loaded as
``tools/train.py`` loads them (``mmskd.utils.load_config``).
"""
import ast
import glob
import os.path as osp
from typing import List

import pytest
from mmengine.config import Config

from mmskd.testing import CONFIG_ROOT
from mmskd.utils import load_config

LEAVES = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, CONFIG_ROOT).split(osp.sep))
RUNTIME_BASES = ('../_base_/default_runtime.py',
                 '../_base_/default_runtime_det.py')
# The keys of mmseg's and mmdet's default_runtime.py and the two mmskd
# adds. default_hooks is one of them, but mmseg's schedules set it too (its
# checkpoint interval follows the schedule's length), so schedules may.
RUNTIME_KEYS = {
    'custom_imports', 'custom_hooks', 'default_hooks', 'default_scope',
    'env_cfg', 'log_processor', 'vis_backends', 'visualizer', 'log_level',
    'load_from', 'resume', 'tta_model'
}
DATA_BASES = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '_base_', 'datasets', '*.py')))
SCHEDULE_BASES = sorted(
    glob.glob(osp.join(CONFIG_ROOT, '_base_', 'schedules', '*.py')))


def listed_bases(path: str) -> List[str]:
    """The ``_base_`` entries a config file writes (not its bases')."""
    with open(path) as file:
        tree = ast.parse(file.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, 'id', None) == '_base_'
                for target in node.targets):
            value = ast.literal_eval(node.value)
            return [value] if isinstance(value, str) else list(value)
    return []


def test_finds_every_family_of_leaves():
    assert {name.split(osp.sep)[0] for name in LEAVES} >= {
        'camvid', 'comparison', 'cwd', 'demo', 'depth', 'ka', 'skd', 'video'
    }
    assert len(LEAVES) > 70


@pytest.mark.parametrize('name', LEAVES)
def test_leaf_runs_with_mmskd_and_the_random_state_hook(name, tmp_path):
    cfg = load_config(
        osp.join(CONFIG_ROOT, name), work_dir=str(tmp_path / 'work_dir'))
    assert 'mmskd' in cfg.custom_imports['imports'], cfg.custom_imports
    assert cfg.custom_imports['allow_failed_imports'] is False
    hooks = [hook['type'] for hook in cfg.get('custom_hooks', [])]
    assert 'mmskd.RandomStateHook' in hooks, \
        f'configs/{name} has no mmskd.RandomStateHook: --resume would ' \
        f'not be exact (custom_hooks: {hooks})'


@pytest.mark.parametrize('name', LEAVES)
def test_leaf_lists_the_runtime_base(name):
    """A leaf lists its runtime base as mmseg's leaves list theirs, unless
    it builds on one other leaf, which lists it (mmengine refuses a key
    set by two bases)."""
    bases = listed_bases(osp.join(CONFIG_ROOT, name))
    runtime = [base for base in bases if base in RUNTIME_BASES]
    if len(bases) == 1 and '_base_/' not in bases[0]:
        assert listed_bases(
            osp.join(CONFIG_ROOT, osp.dirname(name), bases[0]))
        return
    assert len(runtime) == 1, f'configs/{name} lists {bases}'
    detection = name.endswith('_coco.py')
    assert runtime[0] == RUNTIME_BASES[detection], runtime


@pytest.mark.parametrize('name', LEAVES)
def test_leaf_is_short(name):
    with open(osp.join(CONFIG_ROOT, name)) as file:
        assert len(file.read().splitlines()) <= 20


@pytest.mark.parametrize(
    'path', DATA_BASES + SCHEDULE_BASES,
    ids=lambda path: osp.relpath(path, CONFIG_ROOT))
def test_data_and_schedule_bases_set_no_runtime_key(path):
    """Neither written in the file nor inherited (e.g. from an mm
    default_runtime.py)."""
    cfg = Config.fromfile(path, import_custom_modules=False)
    keys = set(cfg.keys()) & RUNTIME_KEYS
    if path in SCHEDULE_BASES:
        keys.discard('default_hooks')
    assert not keys, f'{osp.relpath(path, CONFIG_ROOT)} sets {sorted(keys)}'

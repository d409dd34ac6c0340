# Copyright (c) mmskd contributors. All rights reserved.
import copy
import glob
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Union

import pytest
import torch
from mmengine.config import Config

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.testing import (format_cfg_options, tiny_seg_options,
                           write_cityscapes_like)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CWD_LOGITS = osp.join(
    REPO, 'configs/cwd/'
    'cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


@pytest.fixture(scope='session')
def cityscapes_root(tmp_path_factory) -> str:
    """A generated Cityscapes-layout dataset of 64x128 images."""
    return write_cityscapes_like(str(tmp_path_factory.mktemp('cityscapes')))


def tiny_cfg(config: str, data_root: str, **kwargs) -> Config:
    """Load a real config and shrink it with the test overrides."""
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_seg_options(cfg, data_root, **kwargs))
    return cfg


def write_teacher_checkpoint(cfg: Config, path: str) -> str:
    """Save the (randomly initialised) tiny teacher as a model-zoo ckpt."""
    from mmskd.models.utils import build_architecture
    torch.manual_seed(0)
    teacher = build_architecture(cfg.model.teacher)
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict()), path)
    return path


def run_command(args: List[str],
                cwd: str = REPO,
                env: Dict[str, str] = None,
                timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command with mmskd importable; fail with its output.

    ``timeout`` turns a hung run (e.g. a distributed deadlock) into a test
    failure instead of a stuck suite.
    """
    full_env = dict(os.environ, PYTHONPATH=REPO, **(env or {}))
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + \
        full_env.get('PATH', '')
    result = subprocess.run(
        args,
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)
    assert result.returncode == 0, \
        f'{" ".join(args)} failed:\n{result.stdout[-3000:]}\n' \
        f'{result.stderr[-6000:]}'
    return result


def cli_options(options: dict) -> List[str]:
    return ['--cfg-options', *format_cfg_options(options)]


CONFIG_ROOT = osp.join(REPO, 'configs')


def leaf_configs(scope: str) -> Dict[str, Union[Config, Exception]]:
    """Every model-zoo config under configs/ of one default scope.

    Bases are left out, and so is configs/demo/ (the CPU demo's teacher,
    student and distilled configs, trained end to end by test_demo.py).
    Keys are paths relative to configs/. A config that does not load is kept
    as its exception (under every scope), so that its tests fail with the
    reason instead of silently dropping it.

    Args:
        scope (str): ``'mmseg'`` or ``'mmdet'``.

    Returns:
        dict: Relative path -> loaded Config (or the loading error).
    """
    configs: Dict[str, Union[Config, Exception]] = {}
    for path in sorted(
            glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)):
        name = osp.relpath(path, CONFIG_ROOT)
        parts = name.split(osp.sep)
        if '_base_' in parts or parts[0] == 'demo':
            continue
        try:
            cfg = Config.fromfile(path)
        except Exception as error:  # reported by the tests that use it
            configs[name] = error
            continue
        if cfg.get('default_scope') == scope:
            configs[name] = cfg
    return configs


def loaded_config(configs: Dict[str, Union[Config, Exception]],
                  name: str) -> Config:
    """A copy of ``configs[name]``, failing the test if it did not load."""
    cfg = configs[name]
    if isinstance(cfg, Exception):
        pytest.fail(f'configs/{name} does not load: {cfg!r}')
    return copy.deepcopy(cfg)

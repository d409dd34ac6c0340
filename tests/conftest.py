# Copyright (c) mmskd contributors. All rights reserved.
import copy
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import uuid
from typing import Dict, List, Tuple, Union

import mmengine.config.config as mmengine_config
import mmengine.runner.runner as mmengine_runner
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner import Runner

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.engine import CPUAmpOptimWrapper
from mmskd.testing import (format_cfg_options, tiny_seg_options,
                           write_cityscapes_like)
from mmskd.utils.launch import enable_amp

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

    Bases are left out, and so are configs/demo/ (the CPU demo's teacher,
    student and distilled configs, trained end to end by test_demo.py),
    configs/depth/ (depth models, trained by test_depth_configs.py) and
    configs/ka/ (knowledge adaptation's MobileNetV2 student, two phases and
    VOC data, trained by test_ka_configs.py).
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
        if '_base_' in parts or parts[0] in ('demo', 'depth', 'ka'):
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


@pytest.fixture(scope='module')
def fast_runner():
    """Skip the Runner's slow, untested chores: yapf-formatting the config
    for its log and checkpoints (it stays valid, unformatted Python), and
    probing compilers for the environment report."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mmengine_config, 'FormatCode',
                      lambda text, **kwargs: (text, True))
        patch.setattr(mmengine_runner, 'collect_env', lambda: {})
        yield


def build_runner(cfg: Config, name: str, work_dir: str,
                 amp: bool = False) -> Runner:
    """A Runner for one in-process run of a (shrunk) config.

    Runs in one process share mmengine's named singletons (logger, message
    hub, visualizer); unique names keep each run's logs its own. ``amp``
    does what ``tools/train.py --amp`` does.
    """
    run_id = f'{osp.basename(name)[:-3]}_{uuid.uuid4().hex[:8]}'
    cfg.work_dir = work_dir
    cfg.experiment_name = run_id
    cfg.visualizer.name = run_id
    if amp:
        enable_amp(cfg)
    return Runner.from_cfg(cfg)


def assert_amp_wrappers(runner: Runner) -> None:
    """Every optimizer wrapper of a run (student and critic) scales its
    loss in mixed precision."""
    wrapper = runner.optim_wrapper
    wrappers = wrapper.values() if isinstance(wrapper, OptimWrapperDict) \
        else [wrapper]
    amp_type = AmpOptimWrapper if torch.cuda.is_available() \
        else CPUAmpOptimWrapper
    for each in wrappers:
        assert isinstance(each, amp_type), type(each)


def logged_scalars(log_dir: str) -> Tuple[dict, dict]:
    """The last train and val records of a run's ``vis_data/scalars.json``.

    Train records carry the learning rate (``lr``, or ``architecture.lr``
    and ``discriminator.lr`` with two optimizers); val records do not.
    """
    train, val = {}, {}
    with open(osp.join(log_dir, 'vis_data', 'scalars.json')) as file:
        for line in file:
            record = json.loads(line)
            if any(key == 'lr' or key.endswith('.lr') for key in record):
                train = record
            else:
                val = record
    return train, val

# Copyright (c) mmskd contributors. All rights reserved.
"""Helpers shared by the tests (``from utils import ...``; pytest puts
``tests/`` on ``sys.path`` because it holds ``conftest.py``)."""
import copy
import functools
import glob
import importlib.util
import json
import os.path as osp
import re
import subprocess
import uuid
from types import ModuleType
from typing import Dict, Iterable, List, Set, Tuple, Union

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner import Runner

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.engine import CPUAmpOptimWrapper
from mmskd.testing import format_cfg_options, run_tool, tiny_seg_options
from mmskd.utils.launch import enable_amp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG_ROOT = osp.join(REPO, 'configs')
CWD_LOGITS = osp.join(
    CONFIG_ROOT, 'cwd/'
    'cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


def tiny_cfg(config: str, data_root: str, **kwargs) -> Config:
    """Load a real config and shrink it with ``tiny_seg_options``.

    Args:
        config (str): The config file.
        data_root (str): A generated dataset of the config's layout.
        **kwargs: Passed to ``tiny_seg_options``.

    Returns:
        Config: The shrunk config.
    """
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_seg_options(cfg, data_root, **kwargs))
    return cfg


def write_teacher_checkpoint(cfg: Config, path: str) -> str:
    """Save the (randomly initialised) tiny teacher as a model-zoo ckpt.

    Args:
        cfg (Config): A shrunk distillation config.
        path (str): Where to save.

    Returns:
        str: ``path``.
    """
    from mmskd.models.utils import build_architecture
    torch.manual_seed(0)
    teacher = build_architecture(cfg.model.teacher)
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict()), path)
    return path


def run_command(args: List[str],
                cwd: str = REPO,
                env: Dict[str, str] = None,
                timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a command with this checkout's mmskd; fail with its output.

    ``mmskd.testing.run_tool``: ``PYTHONPATH`` names the checkout, and a run
    past ``timeout`` (e.g. a distributed deadlock) fails the test with every
    process it started killed, instead of a stuck suite.

    Args:
        args (list[str]): The command.
        cwd (str): Where to run it.
        env (dict, optional): Extra environment variables.
        timeout (float): Seconds before the run counts as hung.

    Returns:
        subprocess.CompletedProcess: The finished run (exit code 0).
    """
    return run_tool(args, cwd=cwd, env=env, timeout=timeout)


def cli_options(options: dict) -> List[str]:
    """``--cfg-options`` and the words of ``options``."""
    return ['--cfg-options', *format_cfg_options(options)]


def load_tool(path: str) -> ModuleType:
    """Import a script of ``tools/`` (not a package module) by its path.

    Args:
        path (str): Relative to ``tools/``, e.g.
            ``'model_converters/convert_to_student.py'``.

    Returns:
        ModuleType: The executed module (its ``__main__`` block not run).
    """
    name = osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=None)
def _leaf_configs() -> Dict[str, Union[Config, Exception]]:
    """Every leaf under configs/ that the config sweeps train, loaded once
    (see :func:`leaf_configs`)."""
    configs: Dict[str, Union[Config, Exception]] = {}
    for path in sorted(
            glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)):
        name = osp.relpath(path, CONFIG_ROOT)
        parts = name.split(osp.sep)
        if '_base_' in parts or parts[0] in ('demo', 'depth', 'video', 'ka'):
            continue
        try:
            configs[name] = Config.fromfile(path)
        except Exception as error:  # reported by the tests that use it
            configs[name] = error
    return configs


def leaf_configs(scope: str) -> Dict[str, Union[Config, Exception]]:
    """Every model-zoo config under configs/ of one default scope.

    Bases are left out, and so are configs/demo/ (the CPU demo's teacher,
    student and distilled configs, trained end to end by test_demo.py) and
    configs/depth/, configs/video/ and configs/ka/ (trained by their own
    tests).
    Keys are paths relative to configs/. A config that does not load is kept
    as its exception (under every scope), so that its tests fail with the
    reason instead of silently dropping it. The configs are loaded once
    per session and shared: change only the copies :func:`loaded_config`
    gives.

    Args:
        scope (str): ``'mmseg'`` or ``'mmdet'``.

    Returns:
        dict: Relative path -> loaded Config (or the loading error).
    """
    return {
        name: cfg
        for name, cfg in _leaf_configs().items()
        if isinstance(cfg, Exception) or cfg.get('default_scope') == scope
    }


def loaded_config(configs: Dict[str, Union[Config, Exception]],
                  name: str) -> Config:
    """A copy of ``configs[name]``, failing the test if it did not load."""
    cfg = configs[name]
    if isinstance(cfg, Exception):
        pytest.fail(f'configs/{name} does not load: {cfg!r}')
    return copy.deepcopy(cfg)


# A leaf's method: its name up to the teacher's model family.
METHOD = re.compile(
    r'^(?:\w+/)?(.+?)_(?:pspnet|deeplabv3plus|deeplabv3|fcos|retinanet|'
    r'reppoints|gfl)_')


def one_per_method(names: Iterable[str]) -> Set[str]:
    """The first leaf, in sorted order, of each method (``cwd_logits``,
    ``skd_pi_pa_alpha-fusion``, ...): the sweep trains every leaf in fp32
    and these under ``--amp`` too, since mixed precision changes how a
    method's terms run, not how a dataset or pair is loaded.

    Args:
        names (Iterable[str]): Leaf names relative to ``configs/``.

    Returns:
        set[str]: The chosen names.
    """
    chosen: Dict[str, str] = {}
    for name in sorted(names):
        match = METHOD.match(name)
        chosen.setdefault(match.group(1) if match else name, name)
    return set(chosen.values())


def build_runner(cfg: Config, name: str, work_dir: str,
                 amp: bool = False) -> Runner:
    """A Runner for one in-process run of a (shrunk) config.

    Runs in one process share mmengine's named singletons (logger, message
    hub, visualizer); unique names keep each run's logs its own. ``amp``
    does what ``tools/train.py --amp`` does.

    Args:
        cfg (Config): The config, changed in place.
        name (str): The config's name (a file name ending in ``.py``).
        work_dir (str): The run's work dir.
        amp (bool): Whether to train in mixed precision.

    Returns:
        Runner: The runner, not started.
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

    Args:
        log_dir (str): The run's log dir (``runner.log_dir``).

    Returns:
        tuple[dict, dict]: The last train and the last val record.
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

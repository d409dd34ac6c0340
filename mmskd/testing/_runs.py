# Copyright (c) mmskd contributors. All rights reserved.
"""Running the suite's trainings: in-process Runners, the tools as
subprocesses or imported scripts, teacher checkpoints and logged scalars."""
import importlib.util
import json
import os.path as osp
import subprocess
import uuid
from types import ModuleType
from typing import Dict, List, Tuple

import torch
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapperDict
from mmengine.runner import Runner

from mmskd.engine import CPUAmpOptimWrapper
from mmskd.registry import MODELS
from mmskd.utils.launch import enable_amp
from ._configs import REPO
from ._options import format_cfg_options, tiny_seg_options
from ._processes import run_tool


def write_teacher_checkpoint(cfg: Config, path: str) -> str:
    """Save the (randomly initialised) tiny teacher as a model-zoo ckpt.

    Args:
        cfg (Config): A shrunk distillation config.
        path (str): Where to save.

    Returns:
        str: ``path``.
    """
    torch.manual_seed(0)
    teacher = MODELS.build(cfg.model.teacher)
    torch.save(dict(state_dict=teacher.state_dict(), meta=dict()), path)
    return path


def tiny_options_with_teacher(config: str, data_root: str,
                              folder: str) -> dict:
    """The tiny-model, generated-data overrides of a distillation config,
    with a checkpoint of its (random) tiny teacher written for it.

    Args:
        config (str): The config's path.
        data_root (str): A generated Cityscapes-layout dataset.
        folder (str): Where the teacher's checkpoint goes.

    Returns:
        dict: :func:`tiny_seg_options` with ``model.teacher_ckpt`` set.
    """
    cfg = Config.fromfile(config)
    overrides = tiny_seg_options(cfg, data_root)
    cfg.merge_from_dict(overrides)
    overrides['model.teacher_ckpt'] = write_teacher_checkpoint(
        cfg, osp.join(folder, 'teacher.pth'))
    return overrides


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

# Copyright (c) mmskd contributors. All rights reserved.
"""What the suite checks on a checkpoint of a multi-process run: every tool
a user points at it reads all of it.

The tests that train an algorithm with ``tools/dist_train.sh`` pass their
own command runner (``run(args) -> CompletedProcess``, failing the test on a
non-zero exit) and the run's ``--cfg-options`` words.
"""
import importlib.util
import os.path as osp
import re
import sys
from types import ModuleType
from typing import Callable, List, Optional, Sequence

import torch

from ._processes import CHECKOUT

Run = Callable[[List[str]], 'subprocess.CompletedProcess']  # noqa: F821

# mmengine's warning when a checkpoint and a model differ (load_state_dict).
MISMATCH_WARNING = 'do not match exactly'
# mmseg's IoUMetric, as logged.
SEG_METRICS = ('aAcc', 'mIoU', 'mAcc')


def logged_metric(log: str, metric: str, mode: str) -> str:
    """The last ``metric`` of the ``Iter(mode)`` lines of a run's output.

    Args:
        log (str): stdout + stderr of a tool.
        metric (str): e.g. ``'mIoU'``.
        mode (str): ``'val'`` (training) or ``'test'`` (tools/test.py).

    Returns:
        str: The value as logged (compared as text: the same digits).
    """
    lines = re.findall(rf'Iter\({mode}\) .*', log)
    values = [
        match.group(1) for line in lines
        for match in [re.search(rf'\b{re.escape(metric)}: (-?[\d.]+)', line)]
        if match
    ]
    assert values, f'no {metric} in Iter({mode}) lines:\n{log[-3000:]}'
    return values[-1]


def assert_test_py_reproduces(run: Run,
                              config: str,
                              checkpoint: str,
                              train_log: str,
                              work_dir: str,
                              options: List[str],
                              metrics: Sequence[str] = SEG_METRICS) -> str:
    """``tools/test.py`` on ``checkpoint`` loads every tensor and scores what
    the run's last validation scored.

    Args:
        run (callable): The test's command runner.
        config (str): The config the run trained.
        checkpoint (str): The checkpoint written after that validation's
            training iteration.
        train_log (str): The training run's output.
        work_dir (str): test.py's work dir.
        options (list[str]): ``--cfg-options`` words of the run.
        metrics (Sequence[str]): The metrics to compare, each to the
            logged digits. Defaults to mmseg's aAcc, mIoU and mAcc.

    Returns:
        str: test.py's output.
    """
    result = run([
        sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
        work_dir, *options
    ])
    log = result.stdout + result.stderr
    assert MISMATCH_WARNING not in log, log[-3000:]
    tested = [logged_metric(log, metric, 'test') for metric in metrics]
    validated = [logged_metric(train_log, metric, 'val') for metric in metrics]
    assert tested == validated, \
        f'test.py: {metrics} {tested}, the run\'s validation: {validated}'
    return log


def assert_student_converts(checkpoint: str, out: str,
                            student: torch.nn.Module) -> dict:
    """``convert_to_student`` writes exactly the student's tensors, equal
    to the checkpoint's ``architecture.`` ones.

    The tool's ``convert`` runs in this process (its command line is
    tested in tests/test_tools/test_convert_and_results.py).

    Args:
        checkpoint (str): The distillation checkpoint.
        out (str): Where the student checkpoint goes.
        student (nn.Module): A student built from the run's config.

    Returns:
        dict: The student state dict written.
    """
    _load_tool('model_converters/convert_to_student.py').convert(
        checkpoint, out)
    converted = torch.load(out, weights_only=True)['state_dict']
    student.load_state_dict(converted, strict=True)
    trained = torch.load(
        checkpoint, map_location='cpu', weights_only=False)['state_dict']
    for key, value in converted.items():
        assert torch.equal(value, trained['architecture.' + key]), key
    return converted


def _load_tool(path: str) -> ModuleType:
    """A script of the checkout's ``tools/``, imported by its path."""
    spec = importlib.util.spec_from_file_location(
        osp.splitext(osp.basename(path))[0], osp.join(CHECKOUT, 'tools',
                                                      path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_resumes_in_one_process(run: Run,
                                  config: str,
                                  work_dir: str,
                                  options: List[str],
                                  resumed_iter: int,
                                  max_iters: int,
                                  extra: Optional[List[str]] = None) -> str:
    """``tools/train.py --resume`` (one process) continues the multi-process
    run in ``work_dir`` from ``resumed_iter`` to ``max_iters``.

    Args:
        run (callable): The test's command runner.
        config (str): The config the run trained.
        work_dir (str): The run's work dir (its last checkpoint resumes).
        options (list[str]): ``--cfg-options`` words, with
            ``train_cfg.max_iters`` set to ``max_iters``.
        resumed_iter (int): The iteration of the last checkpoint.
        max_iters (int): Where the resumed run stops.
        extra (list[str], optional): More arguments of train.py.

    Returns:
        str: The resumed run's output.
    """
    result = run([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        '--resume', *(extra or []), *options
    ])
    log = result.stdout + result.stderr
    assert f'resumed epoch: 0, iter: {resumed_iter}' in log, log[-3000:]
    for mismatch in (MISMATCH_WARNING, 'missing keys'):
        assert mismatch not in log, log[-3000:]
    assert f'Iter(train) [{max_iters}/{max_iters}]' in log, log[-3000:]
    assert osp.isfile(osp.join(work_dir, f'iter_{max_iters}.pth'))
    return log


def assert_no_wrapper_names(checkpoint: str) -> dict:
    """The checkpoint names every tensor without a DDP wrapper level.

    Args:
        checkpoint (str): A checkpoint file.

    Returns:
        dict: Its state dict.
    """
    state = torch.load(
        checkpoint, map_location='cpu', weights_only=False)['state_dict']
    wrapped = [key for key in state if '.module.' in key]
    assert not wrapped, wrapped[:5]
    return state

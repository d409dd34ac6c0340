# Copyright (c) mmskd contributors. All rights reserved.
"""The launch paths of README.md, run as a user runs them, on CPU."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.utils import get_installed_path

from mmskd.testing import (CWD_LOGITS, REPO, cli_options, run_command,
                           tiny_options_with_teacher)


@pytest.fixture(scope='module')
def options(cityscapes_root, tmp_path_factory) -> dict:
    """Tiny-model, generated-data overrides plus a teacher checkpoint."""
    return tiny_options_with_teacher(CWD_LOGITS, cityscapes_root,
                                     str(tmp_path_factory.mktemp('teacher')))


def output_of(result) -> str:
    return result.stdout + result.stderr


def assert_trained_and_validated(log: str, iters: int) -> None:
    assert f'Iter(train) [{iters}/{iters}]' in log
    assert 'distill.loss_cwd' in log
    assert re.search(r'Iter\(val\) .*mIoU: \d', log), log[-2000:]


@pytest.fixture(scope='module')
def first_run(options, tmp_path_factory) -> tuple:
    """``tools/train.py`` for 2 iterations: its work dir and output."""
    work_dir = str(tmp_path_factory.mktemp('first_run') / 'work')
    result = run_command([
        sys.executable, 'tools/train.py', CWD_LOGITS, '--work-dir', work_dir,
        *cli_options(options)
    ])
    return work_dir, output_of(result)


def test_train_py_trains_and_validates(first_run):
    work_dir, log = first_run
    assert_trained_and_validated(log, 2)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))


def test_mmseg_own_train_script(options, tmp_path):
    script = osp.join(
        get_installed_path('mmsegmentation'), '.mim', 'tools', 'train.py')
    work_dir = str(tmp_path / 'work')
    # Run from outside the repo: only custom_imports brings mmskd in.
    result = run_command([
        sys.executable, script, CWD_LOGITS, '--work-dir', work_dir,
        *cli_options(options)
    ],
                         cwd=str(tmp_path))
    assert_trained_and_validated(output_of(result), 2)


def test_test_py_evaluates_the_student(options, first_run, tmp_path):
    work_dir, _ = first_run
    result = run_command([
        sys.executable, 'tools/test.py', CWD_LOGITS,
        osp.join(work_dir, 'iter_2.pth'), '--work-dir',
        str(tmp_path / 'test'), *cli_options(options)
    ])
    assert re.search(r'Iter\(test\) .*mIoU: \d', output_of(result))


def _latest_checkpoint(work_dir: str) -> str:
    """What ``work_dir/last_checkpoint`` names ('' until it exists)."""
    try:
        with open(osp.join(work_dir, 'last_checkpoint')) as file:
            return file.read().strip()
    except FileNotFoundError:
        return ''


def _train_until_checkpoint(args: list, work_dir: str, name: str,
                            log: str) -> int:
    """Start ``tools/train.py``, SIGKILL it once ``name`` is the latest
    checkpoint (mmengine writes last_checkpoint after the file itself, so
    the kill falls between two checkpoints), and return its exit code."""
    env = dict(os.environ, PYTHONPATH=REPO)
    with open(log, 'w') as out:
        process = subprocess.Popen(
            args, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline and \
                osp.basename(_latest_checkpoint(work_dir)) != name:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        return process.wait()


def test_killed_run_resumes_past_a_truncated_checkpoint(options, tmp_path):
    """The faults a user meets: the run is SIGKILLed between checkpoints,
    and the latest checkpoint has lost its tail. ``--resume`` warns, goes
    back to the previous good checkpoint, keeps the run's seed and trains
    to the end."""
    work_dir = str(tmp_path / 'work')
    run_options = dict(
        options, **{
            'train_cfg.max_iters': 4,
            'train_cfg.val_interval': 100,  # validate at the end only
            'default_hooks.checkpoint.interval': 1,
        })
    args = [
        sys.executable, 'tools/train.py', CWD_LOGITS, '--work-dir', work_dir
    ]
    first_log = str(tmp_path / 'first.log')
    code = _train_until_checkpoint([*args, *cli_options(run_options)],
                                   work_dir, 'iter_2.pth', first_log)
    with open(first_log) as file:
        assert code == -signal.SIGKILL, file.read()[-3000:]
    latest = _latest_checkpoint(work_dir)
    number = int(re.match(r'iter_(\d+)\.pth', osp.basename(latest)).group(1))
    assert 2 <= number < 4
    with open(latest, 'r+b') as file:  # the tail of the file is lost
        file.truncate(osp.getsize(latest) // 2)
    previous = osp.join(work_dir, f'iter_{number - 1}.pth')
    seed = torch.load(previous, weights_only=False)['meta']['seed']

    # Each checkpoint costs seconds of config formatting: the resumed run
    # saves only its last one.
    run_options['default_hooks.checkpoint.interval'] = 100
    log = output_of(
        run_command([*args, '--resume', *cli_options(run_options)]))
    assert f'The latest checkpoint {latest} cannot be read' in log
    assert f'the previous good checkpoint {previous}' in log
    assert f'resumed epoch: 0, iter: {number - 1}' in log
    assert f'seed: {seed}' in log  # the same data order as before the kill
    assert 'Iter(train) [4/4]' in log
    final = torch.load(osp.join(work_dir, 'iter_4.pth'), weights_only=False)
    assert final['meta']['iter'] == 4 and 'random_states' in final
    assert final['optimizer']['state'], 'SGD momentum was not saved'

# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd.utils.launch helpers not covered by the launcher runs."""
import datetime
import json
import sys
import time

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config

from mmskd.testing import free_port, run_bounded, run_tool
from mmskd.utils import finish_distributed, load_config, setup_cpu_distributed
from mmskd.utils.launch import CPU_COLLECTIVE_TIMEOUT

# A one-process group whose barrier hangs as ``{hang}`` does, then
# finish_distributed with a 2 s deadline.
HANGING_TEARDOWN = '''
import re, tempfile, time
import torch.distributed as dist
from mmskd.utils import finish_distributed
dist.init_process_group(backend='gloo', rank=0, world_size=1,
                        init_method=f'file://{{tempfile.mktemp()}}')
dist.barrier = lambda: {hang}
print('result written', flush=True)
finish_distributed(timeout=2)
print('not reached')
'''


def test_finish_distributed_destroys_the_group(tmp_path):
    dist.init_process_group(
        backend='gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    assert dist.is_initialized()
    finish_distributed()
    assert not dist.is_initialized()
    finish_distributed()  # without a group: nothing to do


def run_hanging_teardown(hang: str) -> tuple:
    """The exit code, output and seconds of a teardown hanging as
    ``hang``."""
    started = time.monotonic()
    result = run_bounded(
        [sys.executable, '-c',
         HANGING_TEARDOWN.format(hang=hang)],
        timeout=120)
    return result, time.monotonic() - started


def test_finish_distributed_exits_0_when_the_teardown_hangs():
    """A rank stuck in the teardown (lock released, as a wait in gloo)
    exits successfully after the deadline: its outputs are written."""
    result, seconds = run_hanging_teardown('time.sleep(3600)')
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert 'result written' in log and 'not reached' not in log
    assert 'was not torn down within 2 s' in log
    assert seconds < 60


def test_finish_distributed_dies_when_the_hang_holds_the_lock():
    """A teardown hung while holding the interpreter lock (here a regular
    expression that backtracks for ages) cannot be left from Python:
    faulthandler ends the process after twice the deadline, with stacks."""
    result, seconds = run_hanging_teardown(
        "re.fullmatch(r'(a|aa)*c', 'a' * 64)")
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'Timeout (0:00:04)!' in result.stderr
    assert 'not reached' not in result.stdout
    assert seconds < 60


END_OF_RUN = '''
import atexit, tempfile
import torch.distributed as dist
from mmskd.utils import end_distributed_run
if {grouped}:
    dist.init_process_group(backend='gloo', rank=0, world_size=1,
                            init_method=f'file://{{tempfile.mktemp()}}')
atexit.register(lambda: print('interpreter teardown', flush=True))
print('result written', flush=True)
end_distributed_run(timeout=20)
print('returned', flush=True)
'''


@pytest.mark.parametrize('grouped', [True, False])
def test_a_distributed_run_ends_without_the_interpreter_teardown(grouped):
    """The tools' last line: with a group, leave it and exit 0 at once (the
    teardown of what still holds gloo aborted finished runs); without one,
    return."""
    result = run_bounded(
        [sys.executable, '-c',
         END_OF_RUN.format(grouped=grouped)], timeout=120)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert 'result written' in result.stdout
    assert ('returned' in result.stdout) is not grouped
    assert ('interpreter teardown' in result.stdout) is not grouped


@pytest.fixture
def cpu_launch(monkeypatch):
    """setup_cpu_distributed on a CPU machine; the group it would create
    is recorded instead."""
    calls = []
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(dist, 'is_initialized', lambda: False)
    monkeypatch.setattr(dist, 'init_process_group',
                        lambda **kwargs: calls.append(kwargs))
    return calls


def cpu_config(**env_cfg) -> Config:
    return Config(
        dict(
            model=dict(type='Net', norm_cfg=dict(type='SyncBN')),
            env_cfg=dict(cudnn_benchmark=False, **env_cfg)))


def test_setup_cpu_distributed_bounds_collectives(cpu_launch):
    cfg = cpu_config()
    assert setup_cpu_distributed(cfg, 'pytorch')
    assert cpu_launch == [
        dict(
            backend='gloo',
            timeout=datetime.timedelta(seconds=CPU_COLLECTIVE_TIMEOUT))
    ]
    assert cfg.env_cfg == dict(
        cudnn_benchmark=False,
        dist_cfg=dict(backend='gloo', timeout=CPU_COLLECTIVE_TIMEOUT))
    assert cfg.model.norm_cfg.type == 'BN'
    assert cfg.custom_hooks == [dict(type='mmskd.SyncNormBuffersHook')]


def test_setup_cpu_distributed_keeps_the_configured_timeout(cpu_launch):
    cfg = cpu_config(dist_cfg=dict(backend='nccl', timeout=42))
    cfg.custom_hooks = [dict(type='mmskd.SyncNormBuffersHook')]
    assert setup_cpu_distributed(cfg, 'pytorch')
    assert cpu_launch[0]['timeout'] == datetime.timedelta(seconds=42)
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo', timeout=42)
    assert cfg.custom_hooks == [dict(type='mmskd.SyncNormBuffersHook')]


def test_setup_cpu_distributed_leaves_other_launchers_alone(cpu_launch):
    cfg = cpu_config()
    assert not setup_cpu_distributed(cfg, 'none')
    assert cpu_launch == [] and 'custom_hooks' not in cfg


def test_sync_norm_buffers_hook_averages_training_statistics(tmp_path):
    """Two ranks: the training BN's statistics become the ranks' mean on
    both; the frozen BN and the integer counters keep each rank's own."""
    out = str(tmp_path / 'buffers.json')
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        'tests/scripts/sync_buffers_worker.py', out
    ],
             timeout=300)
    with open(out) as file:
        ranks = json.load(file)
    for rank, state in enumerate(ranks):
        assert state['0.running_mean'] == [1.5, 1.5]
        assert state['0.running_var'] == [2.0, 2.0]
        assert state['0.num_batches_tracked'] == rank + 3
        assert state['1.running_mean'] == [rank + 1.0] * 2
        assert state['1.running_var'] == [2.0 * rank + 1] * 2


def test_find_unused_parameters_reaches_the_named_wrapper(tmp_path):
    config = tmp_path / 'cfg.py'
    config.write_text(
        "model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel')\n"
        'find_unused_parameters = True\n')
    cfg = load_config(str(config))
    assert cfg.model_wrapper_cfg == dict(
        type='MMSeparateDistributedDataParallel', find_unused_parameters=True)
    # The wrapper's own setting wins.
    cfg = load_config(
        str(config),
        {'model_wrapper_cfg.find_unused_parameters': False})
    assert cfg.model_wrapper_cfg.find_unused_parameters is False

# Copyright (c) mmskd contributors. All rights reserved.
"""What the torchrun workers of the DDP tests (tests/scripts/) share:
build an algorithm under MMSeparateDistributedDataParallel on CPU (gloo),
feed each rank its own samples, compare weights across ranks and leave
together."""
import argparse
import copy
import faulthandler
import json
import os
import sys
from typing import Dict, List, NamedTuple

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import MMSeparateDistributedDataParallel
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.utils import finish_distributed, setup_cpu_distributed


class DDPRun(NamedTuple):
    """A worker's rank, its algorithm (unwrapped and wrapped), optimizer
    wrappers and training set."""
    rank: int
    algorithm: torch.nn.Module
    model: MMSeparateDistributedDataParallel
    optim_wrapper: OptimWrapperDict
    dataset: torch.utils.data.Dataset


#: Seconds after which a worker's collectives give up, and after which a
#: worker still running prints every thread's stack: a worker's whole run
#: takes under a minute even on a loaded machine, and both come well before
#: the test's 600 s timeout, so that a hang is reported with where it waits.
COLLECTIVE_TIMEOUT = 180
STACK_DUMP_AFTER = 240


def parse_worker_args() -> argparse.Namespace:
    """``CONFIG DATA_ROOT OUT``: the config, its generated data and the
    JSON file rank 0 writes."""
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('data_root')
    parser.add_argument('out')
    return parser.parse_args()


def build_ddp_run(cfg: Config) -> DDPRun:
    """Join the gloo group and build the wrapped algorithm.

    Each rank initialises its weights from its own seed on purpose: DDP
    must broadcast rank 0's before the first step. Collectives give up
    after :data:`COLLECTIVE_TIMEOUT` s, and the stacks are printed after
    :data:`STACK_DUMP_AFTER` s.
    """
    faulthandler.dump_traceback_later(STACK_DUMP_AFTER)
    cfg.merge_from_dict({'env_cfg.dist_cfg.timeout': COLLECTIVE_TIMEOUT})
    setup_cpu_distributed(cfg, 'pytorch')
    rank = dist.get_rank()
    init_default_scope(cfg.default_scope)
    torch.manual_seed(rank)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    model = MMSeparateDistributedDataParallel(algorithm)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model.train()
    return DDPRun(rank, algorithm, model, optim_wrapper, dataset)


def rank_batch(run: DDPRun) -> dict:
    """Two samples of the rank's own (samples 2r and 2r + 1)."""
    return pseudo_collate(
        [run.dataset[2 * run.rank], run.dataset[2 * run.rank + 1]])


def flat_parameters(module: torch.nn.Module) -> torch.Tensor:
    """All parameters of a module as one vector."""
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def same_on_both_ranks(parts: Dict[str, torch.Tensor]) -> Dict[str, bool]:
    """Whether each tensor is equal on the two ranks."""
    same = {}
    for name, tensor in parts.items():
        gathered: List[torch.Tensor] = [
            torch.zeros_like(tensor) for _ in range(2)
        ]
        dist.all_gather(gathered, tensor)
        same[name] = bool(torch.equal(gathered[0], gathered[1]))
    return same


def finish_with_every_rank(value: object, out: str) -> None:
    """Gather ``value`` from every rank; rank 0 writes the list to ``out``
    as JSON; then all ranks leave and exit as in :func:`finish_ddp_run`."""
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, value)
    if dist.get_rank() == 0:
        with open(out, 'w') as file:
            json.dump(gathered, file)
    finish_distributed()
    exit_at_once()


def finish_ddp_run(run: DDPRun, out: str, result: dict) -> None:
    """Rank 0 writes ``result``; then both ranks leave together, within
    ``finish_distributed``'s deadline, as the tools do (a rank tearing down
    gloo while the other still talks to it can hang the survivor), and exit
    (:func:`exit_at_once`)."""
    if run.rank == 0:
        with open(out, 'w') as file:
            json.dump(result, file)
    finish_distributed()
    exit_at_once()


def exit_at_once() -> None:
    """Flush the output and exit with status 0, skipping the interpreter's
    teardown.

    Under load, the video worker's test hung now and then (once in 34
    stress runs) after rank 0 had written its result: no collective timed
    out and no stack was printed, so the wait came after the worker's last
    line of Python, in the interpreter's teardown of torch's and gloo's
    threads, or in torchrun waiting for such a worker. A test worker has
    nothing left to clean up once its result is written.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

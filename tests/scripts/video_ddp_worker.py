# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from test_video_training.py: one VideoDistill step on
rank-dependent sequences, then report whether the student and the MF
ConvLSTM are the same on both ranks (their gradients were averaged by hand)
and whether the ConvLSTM trained."""
import argparse
import copy
import json
import sys

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.model import MMSeparateDistributedDataParallel
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

sys.path[:0] = ['.', 'tests']
import mmskd  # noqa: E402,F401
from mmskd.engine import unwrap  # noqa: E402
from mmskd.utils import setup_cpu_distributed  # noqa: E402
from sequence_data import tiny_video_options  # noqa: E402


def weights(module: torch.nn.Module) -> torch.Tensor:
    """All parameters of a module as one vector."""
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('data_root')
    parser.add_argument('out')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(tiny_video_options(cfg, args.data_root))
    setup_cpu_distributed(cfg, 'pytorch')
    rank = dist.get_rank()
    init_default_scope(cfg.default_scope)
    torch.manual_seed(rank)  # different init on purpose: DDP broadcasts
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    model = MMSeparateDistributedDataParallel(algorithm)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    lstm = unwrap(algorithm.video_losses)['loss_mf'].conv_lstm
    lstm_before = weights(lstm).clone()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model.train()
    model.train_step(
        pseudo_collate([dataset[2 * rank], dataset[2 * rank + 1]]),
        optim_wrapper)
    same = {}
    for name, part in (('student', algorithm.student), ('conv_lstm', lstm)):
        mine = weights(part)
        both = [torch.zeros_like(mine) for _ in range(2)]
        dist.all_gather(both, mine)
        same[name] = bool(torch.equal(*both))
    if rank == 0:
        with open(args.out, 'w') as file:
            json.dump(
                dict(
                    same=same,
                    lstm_changed=not torch.equal(lstm_before, weights(lstm))),
                file)
    dist.barrier()  # leave together, as holistic_ddp_worker.py explains
    dist.destroy_process_group()


if __name__ == '__main__':
    main()

# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from test_holistic_training.py: two adversarial steps on
rank-dependent data, then report whether every trainable weight is the same
on all ranks (i.e. gradients were averaged) and what changed."""
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

sys.path.insert(0, '.')
import mmskd  # noqa: E402,F401
from mmskd.engine import unwrap  # noqa: E402
from mmskd.testing import tiny_seg_options  # noqa: E402
from mmskd.utils import setup_cpu_distributed  # noqa: E402


def flat(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument('config')
    parser.add_argument('data_root')
    parser.add_argument('out')
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(tiny_seg_options(cfg, args.data_root))
    cfg.model.distiller.connectors = dict(
        up=dict(type='mmrazor.ConvModuleConnector', in_channel=16,
                out_channel=32, norm_cfg=None, act_cfg=None))
    cfg.model.distiller.distill_losses.loss_cwd = dict(
        type='ChannelWiseDivergence', tau=1.0, loss_weight=1.0)
    cfg.model.distiller.loss_forward_mappings.loss_cwd = dict(
        preds_S=dict(from_student=True, recorder='feature', connector='up'),
        preds_T=dict(from_student=False, recorder='feature'))
    setup_cpu_distributed(cfg, 'pytorch')
    rank = dist.get_rank()
    init_default_scope(cfg.default_scope)
    torch.manual_seed(rank)  # different init on purpose: DDP broadcasts
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    model = MMSeparateDistributedDataParallel(algorithm)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    disc_before = flat(algorithm.discriminator).clone()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model.train()
    for step in range(2):
        data = pseudo_collate([dataset[2 * rank], dataset[2 * rank + 1]])
        log_vars = model.train_step(data, optim_wrapper)
    parts = dict(
        student=flat(algorithm.student),
        discriminator=flat(algorithm.discriminator),
        connector=flat(unwrap(algorithm.distiller).connectors))
    same = {}
    for name, tensor in parts.items():
        gathered = [torch.zeros_like(tensor) for _ in range(2)]
        dist.all_gather(gathered, tensor)
        same[name] = bool(torch.equal(gathered[0], gathered[1]))
    if rank == 0:
        result = dict(
            same=same,
            disc_changed=not torch.equal(disc_before, parts['discriminator']),
            log_keys=sorted(log_vars))
        with open(args.out, 'w') as f:
            json.dump(result, f)
    # Leave together: a rank tearing down gloo while the other still
    # talks to it can hang the survivor.
    dist.barrier()
    dist.destroy_process_group()


if __name__ == '__main__':
    main()

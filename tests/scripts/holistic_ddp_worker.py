# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from test_holistic_training.py: two adversarial steps on
rank-dependent data, then report whether every trainable weight is the same
on all ranks (i.e. gradients were averaged) and what changed."""
import torch
from mmengine.config import Config

import mmskd  # noqa: F401
from mmskd.models.utils import unwrap
from mmskd.testing import (build_ddp_run, finish_ddp_run, flat_parameters,
                           parse_worker_args, rank_batch, same_on_both_ranks,
                           tiny_seg_options)


def main() -> None:
    args = parse_worker_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(tiny_seg_options(cfg, args.data_root))
    cfg.model.distiller.connectors = dict(
        up=dict(
            type='mmrazor.ConvModuleConnector',
            in_channel=16,
            out_channel=32,
            norm_cfg=None,
            act_cfg=None))
    cfg.model.distiller.distill_losses.loss_cwd = dict(
        type='ChannelWiseDivergence', tau=1.0, loss_weight=1.0)
    cfg.model.distiller.loss_forward_mappings.loss_cwd = dict(
        preds_S=dict(from_student=True, recorder='feature', connector='up'),
        preds_T=dict(from_student=False, recorder='feature'))
    run = build_ddp_run(cfg)
    algorithm = run.algorithm
    disc_before = flat_parameters(algorithm.discriminator).clone()
    for _ in range(2):
        log_vars = run.model.train_step(rank_batch(run), run.optim_wrapper)
    parts = dict(
        student=flat_parameters(algorithm.student),
        discriminator=flat_parameters(algorithm.discriminator),
        connector=flat_parameters(unwrap(algorithm.distiller).connectors))
    finish_ddp_run(
        run, args.out,
        dict(
            same=same_on_both_ranks(parts),
            disc_changed=not torch.equal(disc_before, parts['discriminator']),
            log_keys=sorted(log_vars)))


if __name__ == '__main__':
    main()

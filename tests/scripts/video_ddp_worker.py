# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from test_video_training.py: one VideoDistill step on
rank-dependent sequences, then report whether the student and the MF
ConvLSTM are the same on both ranks (their gradients were averaged by hand)
and whether the ConvLSTM trained."""
import torch
from mmengine.config import Config

import mmskd  # noqa: F401
from mmskd.models.utils import unwrap
from mmskd.testing import (build_ddp_run, finish_ddp_run, flat_parameters,
                           parse_worker_args, rank_batch, same_on_both_ranks,
                           tiny_video_options)


def main() -> None:
    args = parse_worker_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(tiny_video_options(cfg, args.data_root))
    run = build_ddp_run(cfg)
    lstm = unwrap(run.algorithm.video_losses)['loss_mf'].conv_lstm
    lstm_before = flat_parameters(lstm).clone()
    run.model.train_step(rank_batch(run), run.optim_wrapper)
    parts = dict(
        student=flat_parameters(run.algorithm.student),
        conv_lstm=flat_parameters(lstm))
    finish_ddp_run(
        run, args.out,
        dict(
            same=same_on_both_ranks(parts),
            lstm_changed=not torch.equal(lstm_before, parts['conv_lstm'])))


if __name__ == '__main__':
    main()

# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from test_video_training.py: one VideoDistill step on
rank-dependent sequences, then report whether the student and the MF
ConvLSTM are the same on both ranks (their gradients were averaged by hand)
and whether the ConvLSTM trained."""
import sys

import torch
from mmengine.config import Config

sys.path[:0] = ['.', 'tests', 'tests/scripts']
import mmskd  # noqa: E402,F401
from _ddp import (build_ddp_run, finish, flat, parse_args,  # noqa: E402
                  rank_batch, same_on_both_ranks)
from mmskd.engine import unwrap  # noqa: E402
from sequence_data import tiny_video_options  # noqa: E402


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(tiny_video_options(cfg, args.data_root))
    run = build_ddp_run(cfg)
    lstm = unwrap(run.algorithm.video_losses)['loss_mf'].conv_lstm
    lstm_before = flat(lstm).clone()
    run.model.train_step(rank_batch(run), run.optim_wrapper)
    parts = dict(student=flat(run.algorithm.student), conv_lstm=flat(lstm))
    finish(
        run, args.out,
        dict(
            same=same_on_both_ranks(parts),
            lstm_changed=not torch.equal(lstm_before, parts['conv_lstm'])))


if __name__ == '__main__':
    main()

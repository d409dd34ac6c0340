# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from tests/test_utils/test_launch.py: each rank gives a
training BN and a frozen BN statistics of its own, runs
SyncNormBuffersHook.after_train_iter and rank 0 writes every rank's
buffers as JSON to the file named by the only argument."""
import sys
from types import SimpleNamespace

import torch
import torch.distributed as dist

from mmskd.engine.hooks import SyncNormBuffersHook
from mmskd.testing import finish_with_every_rank


def main() -> None:
    dist.init_process_group(backend='gloo')
    rank = dist.get_rank()
    model = torch.nn.Sequential(
        torch.nn.BatchNorm2d(2), torch.nn.BatchNorm2d(2))
    model[1].eval()  # frozen, like a teacher
    for norm in model:
        norm.running_mean.fill_(rank + 1)
        norm.running_var.fill_(2 * rank + 1)
        norm.num_batches_tracked.fill_(rank + 3)
    SyncNormBuffersHook().after_train_iter(SimpleNamespace(model=model), 0)
    state = {key: value.tolist() for key, value in model.state_dict().items()}
    finish_with_every_rank(state, sys.argv[1])


if __name__ == '__main__':
    main()

# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from tests/test_utils/test_launch.py: each rank gives a
training BN and a frozen BN statistics of its own, runs
SyncNormBuffersHook.after_train_iter and rank 0 writes every rank's
buffers as JSON to the file named by the only argument."""
import json
import sys
from types import SimpleNamespace

import torch
import torch.distributed as dist

from mmskd.engine.hooks import SyncNormBuffersHook
from mmskd.utils import finish_distributed


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
    gathered = [None, None]
    dist.all_gather_object(gathered, state)
    if rank == 0:
        with open(sys.argv[1], 'w') as file:
            json.dump(gathered, file)
    finish_distributed()


if __name__ == '__main__':
    main()

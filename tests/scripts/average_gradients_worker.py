# Copyright (c) mmskd contributors. All rights reserved.
"""Run by torchrun from tests/test_models/test_utils/test_updates.py: three
parameters, of which both ranks reach the first, only rank 0 the second and
no rank the third; after average_gradients rank 0 writes every rank's
gradients (None as null) as JSON to the file named by the only argument."""
import sys

import torch
import torch.distributed as dist
from torch import nn

from mmskd.models.utils import average_gradients
from mmskd.testing import finish_with_every_rank


def main() -> None:
    dist.init_process_group(backend='gloo')
    rank = dist.get_rank()
    module = nn.ParameterList(
        [nn.Parameter(torch.zeros(2)) for _ in range(3)])
    loss = (rank + 1.0) * module[0].sum()
    if rank == 0:  # a term only rank 0's data reaches
        loss = loss + 4.0 * module[1].sum()
    loss.backward()
    average_gradients(module)
    grads = [None if p.grad is None else p.grad.tolist() for p in module]
    finish_with_every_rank(grads, sys.argv[1])


if __name__ == '__main__':
    main()

# Copyright (c) mmskd contributors. All rights reserved.
"""Equal BatchNorm statistics on every rank of a CPU distributed run."""
from typing import Iterator, Optional, Sequence

import torch
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.hooks import Hook

from mmskd.registry import HOOKS


def training_buffers(model: torch.nn.Module) -> Iterator[torch.Tensor]:
    """The floating-point buffers of the modules in training mode.

    Frozen modules (a teacher in eval mode) are left out: their buffers are
    equal on every rank already, and an average of equal values could still
    round. Integer buffers (``num_batches_tracked``) are equal on every rank
    too, and cannot hold a mean.

    Args:
        model (torch.nn.Module): The model, wrapped or not.

    Yields:
        torch.Tensor: The buffers, in the same order on every rank.
    """
    for module in model.modules():
        if not module.training:
            continue
        for buffer in module.buffers(recurse=False):
            if buffer.is_floating_point():
                yield buffer


@HOOKS.register_module()
class SyncNormBuffersHook(Hook):
    """Average the BatchNorm running statistics across ranks after every
    training iteration.

    On CPU, SyncBN configs become BN (DDP refuses SyncBatchNorm on CPU
    modules) and DDP runs with ``broadcast_buffers=False``, so each rank
    would keep statistics of its own samples: the ranks would validate with
    different statistics, and the checkpoint (rank 0's) would score
    differently in ``tools/test.py`` than in the run's own validation.
    Averaging after every iteration keeps the ranks equal and comes closest
    to SyncBN, whose statistics are those of the whole batch (the running
    means are exactly those of the ranks' averaged batch means).

    The averaging runs in ``after_train_iter`` at ``NORMAL`` priority,
    before ``CheckpointHook`` (``VERY_LOW``), which saves the iteration's
    checkpoint before the loop runs that iteration's validation: the
    checkpoint holds exactly the statistics that the validation uses.
    """

    priority = 'NORMAL'

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[Sequence[dict]] = None,
                         outputs: Optional[dict] = None) -> None:
        """Average the training buffers of ``runner.model`` across ranks.

        Args:
            runner (Runner): The runner of the training process.
            batch_idx (int): The iteration's index.
            data_batch (Sequence[dict], optional): The iteration's batch.
            outputs (dict, optional): The iteration's losses.
        """
        if get_world_size() > 1:
            all_reduce_params(training_buffers(runner.model), op='mean')

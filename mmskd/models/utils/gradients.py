# Copyright (c) mmskd contributors. All rights reserved.
"""Gradient helpers for the alternating student / critic updates."""
from contextlib import contextmanager
from typing import Iterator

import torch
from mmengine.dist import all_reduce, all_reduce_params, get_world_size
from mmengine.model import is_model_wrapper
from torch import nn


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP-style wrapper, or the module itself."""
    return module.module if is_model_wrapper(module) else module


def average_gradients(module: nn.Module) -> None:
    """Average the gradients of ``module`` over all processes, if any.

    The critic and the connectors are used outside their DDP forward (the
    critic also inside a double backward, which DDP's reducer does not
    support), so their gradients are averaged here, coalesced into one
    all-reduce, before the optimizer step.

    Args:
        module (nn.Module): The module whose ``.grad`` tensors to average.
    """
    if get_world_size() == 1:
        return
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if grads:
        all_reduce_params(grads, coalesce=True, op='mean')


def all_finite(value: torch.Tensor) -> bool:
    """Whether ``value`` is finite on every process (one collective vote).

    Skipping a step on one rank only would leave the others waiting in the
    gradient all-reduce, so the decision is taken together.
    """
    finite = torch.isfinite(value.detach()).all().float().reshape(1)
    if get_world_size() > 1:
        all_reduce(finite, op='min')
    return bool(finite.item())


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Keep ``module``'s parameters out of autograd inside the block.

    Gradients still flow through the module to its inputs.
    """
    flags = [p.requires_grad for p in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for param, flag in zip(module.parameters(), flags):
            param.requires_grad_(flag)

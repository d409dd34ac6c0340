# Copyright (c) mmskd contributors. All rights reserved.
"""The optimizer updates of an algorithm that owns its ``train_step``.

mmengine's ``OptimWrapper.update_params`` is backward, then step and
zero_grad at the end of each accumulation window. An algorithm with several
trainable parts (the student, its connectors, a discriminator) needs two things
more, and every such algorithm takes them from here:

- parts used outside their DDP forward get their gradients averaged by hand
  before the step (:func:`average_gradients`);
- an update whose gradients are not finite never reaches the weights, and
  all processes decide alike (:func:`guarded_update`).
"""
import logging
from typing import Optional

import torch
from mmengine.dist import all_reduce_params, get_world_size
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper
from torch import nn


def unwrap(module: nn.Module) -> nn.Module:
    """The module inside a DDP-style wrapper, or the module itself.

    Args:
        module (nn.Module): A module, possibly wrapped.

    Returns:
        nn.Module: The wrapped module.
    """
    return module.module if is_model_wrapper(module) else module


def average_gradients(module: Optional[nn.Module]) -> None:
    """Average the gradients of ``module`` over all processes, if any.

    The discriminator and the connectors are used outside their DDP forward
    (the discriminator also inside a double backward, which DDP's reducer
    does not support), so their gradients are averaged here, coalesced into one
    all-reduce, before the optimizer step.

    Every process reduces every trainable parameter, whether or not its own
    backward reached it: a term that one process's data skips (and so a
    parameter without a gradient there) must not change the size of the
    collective, or the processes would wait on each other forever. As under
    DDP, a missing gradient counts as zero in the mean, and a parameter that
    no process reached keeps no gradient, so the optimizer leaves it alone.

    Args:
        module (nn.Module, optional): The module whose ``.grad`` tensors to
            average; None does nothing.
    """
    if module is None or get_world_size() == 1:
        return
    params = [p for p in module.parameters() if p.requires_grad]
    if not params:
        return
    reached = torch.tensor([float(p.grad is not None) for p in params],
                           device=params[0].device)
    grads = [
        torch.zeros_like(p) if p.grad is None else p.grad for p in params
    ]
    all_reduce_params([*grads, reached], coalesce=True, op='mean')
    for param, grad, anywhere in zip(params, grads, reached.tolist()):
        param.grad = grad if anywhere > 0 else None


def gradients_finite(wrapper: OptimWrapper) -> bool:
    """Whether every gradient the wrapper's optimizer would apply is finite.

    One host synchronisation and no collective: it runs after the gradients
    were averaged over processes (by DDP or :func:`average_gradients`), so
    they are equal on every rank, a NaN or inf on one rank has spread to
    all, and every rank reaches the same answer. A gradient whose 2-norm
    overflows float range counts as not finite.

    Args:
        wrapper (OptimWrapper): The wrapper about to step.

    Returns:
        bool: True if no gradient holds a NaN or an infinity.
    """
    grads = [
        param.grad.detach() for group in wrapper.optimizer.param_groups
        for param in group['params'] if param.grad is not None
    ]
    if not grads:
        return True
    norms = torch._foreach_norm(grads)
    return bool(torch.stack([norm.float() for norm in norms]).isfinite().all())


def _scaler_skips_non_finite(wrapper: OptimWrapper) -> bool:
    """Whether the wrapper's enabled GradScaler already skips such steps.

    A dynamic loss scale expects the occasional infinite gradient and lowers
    the scale when it skips one; skipping it here too would stop the scale
    from ever adapting.
    """
    scaler = getattr(wrapper, 'loss_scaler', None)
    return scaler is not None and scaler.is_enabled()


def guarded_update(wrapper: OptimWrapper,
                   loss: torch.Tensor,
                   manually_synced: Optional[nn.Module] = None,
                   name: str = 'student') -> bool:
    """``wrapper.update_params(loss)`` that never applies a non-finite step.

    Backward runs on every call; at the end of an accumulation window (as
    ``wrapper.should_update()`` says) the gradients of ``manually_synced``
    are averaged over processes, and the step is taken only if every
    gradient is finite. Otherwise the whole window is dropped with a
    warning: a non-finite micro-batch has already been summed into the
    accumulated gradient, so the finite micro-batches of the same window
    cannot be told apart from it. Under an enabled GradScaler (fp16 AMP)
    the scaler decides instead, as it is built to.

    Args:
        wrapper (OptimWrapper): The optimizer wrapper of the part to train.
        loss (Tensor): The scalar loss of this micro-batch.
        manually_synced (nn.Module, optional): Parameters that did not go
            through a DDP forward (the discriminator, the connectors).
            Defaults to None.
        name (str): What is trained, for the warning. Defaults to
            ``'student'``.

    Returns:
        bool: Whether the window ended in a step (under an enabled
        GradScaler: in a step handed to the scaler).
    """
    wrapper.backward(wrapper.scale_loss(loss))
    if not wrapper.should_update():
        return False
    average_gradients(manually_synced)
    stepped = _scaler_skips_non_finite(wrapper) or gradients_finite(wrapper)
    if stepped:
        wrapper.step()
    else:
        print_log(
            f'Skipped a {name} update: its gradients are not finite (the '
            f'last loss was {loss.item()}); the {name} keeps its weights and '
            f'the micro-batches of this accumulation window are dropped.',
            logger='current',
            level=logging.WARNING)
    wrapper.zero_grad()
    return stepped

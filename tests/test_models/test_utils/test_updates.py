# Copyright (c) mmskd contributors. All rights reserved.
"""guarded_update: backward every call, a finite step per window, or none."""
import json
import logging
import sys
from unittest import mock

import pytest
import torch
from mmengine.optim import OptimWrapper
from torch import nn

from mmskd.models.utils import gradients_finite, guarded_update
from mmskd.testing import free_port, run_tool

UPDATES = 'mmskd.models.utils.updates.'


def make(accumulative_counts: int = 1):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1),
        accumulative_counts=accumulative_counts)
    return model, wrapper


def loss_of(model: nn.Module, scale: float = 1.0) -> torch.Tensor:
    return scale * model(torch.ones(2, 3)).sum()


def weights(model: nn.Module):
    return [p.detach().clone() for p in model.parameters()]


def test_a_finite_loss_steps_like_update_params():
    model, wrapper = make()
    reference, reference_wrapper = make()
    assert guarded_update(wrapper, loss_of(model))
    reference_wrapper.update_params(loss_of(reference))
    for ours, theirs in zip(model.parameters(), reference.parameters()):
        assert torch.equal(ours, theirs)
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())


def test_a_non_finite_gradient_keeps_the_weights_and_warns():
    model, wrapper = make()
    before = weights(model)
    with mock.patch(UPDATES + 'print_log') as print_log:
        assert not guarded_update(
            wrapper, loss_of(model, float('nan')), name='discriminator')
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    message = print_log.call_args.args[0]
    assert 'Skipped a discriminator update' in message
    assert print_log.call_args.kwargs['level'] == logging.WARNING
    assert all(p.grad is None or not p.grad.any() for p in model.parameters())


def test_a_non_finite_micro_batch_drops_its_whole_window():
    model, wrapper = make(accumulative_counts=2)
    before = weights(model)
    with mock.patch(UPDATES + 'print_log') as print_log:
        assert not guarded_update(wrapper, loss_of(model, float('inf')))
        # Mid-window: nothing is zeroed or stepped, nothing is logged.
        assert model.weight.grad is not None
        assert not model.weight.grad.isfinite().all()
        print_log.assert_not_called()
        assert not guarded_update(wrapper, loss_of(model))
    assert 'micro-batches of this accumulation window are dropped' in \
        print_log.call_args.args[0]
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    # The next window starts clean and steps.
    guarded_update(wrapper, loss_of(model))
    assert guarded_update(wrapper, loss_of(model))
    assert not torch.equal(before[0], model.weight)


def test_a_finite_window_steps_once_at_its_end():
    model, wrapper = make(accumulative_counts=2)
    before = weights(model)
    assert not guarded_update(wrapper, loss_of(model))
    assert torch.equal(before[0], model.weight)
    assert guarded_update(wrapper, loss_of(model))
    # Two micro-batches of dL/dw = 2 each, scaled by 1/2: one step of lr * 2.
    assert torch.allclose(model.weight, before[0] - 0.1 * 2)


def test_an_enabled_grad_scaler_decides_itself():
    model, wrapper = make()
    wrapper.loss_scaler = mock.Mock(is_enabled=mock.Mock(return_value=True))
    with mock.patch.object(wrapper, 'step') as step:
        assert guarded_update(wrapper, loss_of(model, float('nan')))
    step.assert_called_once()


@pytest.mark.parametrize('value, finite', [(1.0, True), (float('inf'), False),
                                           (float('nan'), False)])
def test_gradients_finite(value, finite):
    model, wrapper = make()
    assert gradients_finite(wrapper)  # no gradients yet
    model.weight.grad = torch.tensor([[1.0, value, 0.0]])
    assert gradients_finite(wrapper) is finite


def test_the_finiteness_decision_takes_no_collective():
    """Gradients are averaged before the check, so every rank decides alike
    without an extra all-reduce (the old loss vote took one per backward)."""
    model, wrapper = make()
    with mock.patch(UPDATES + 'get_world_size', return_value=2), \
            mock.patch(UPDATES + 'all_reduce_params') as all_reduce:
        guarded_update(wrapper, loss_of(model))
        all_reduce.assert_not_called()
        guarded_update(wrapper, loss_of(model), manually_synced=model)
        all_reduce.assert_called_once()


def test_average_gradients_agrees_when_a_rank_skips_a_term(tmp_path):
    """Two ranks: a gradient one rank lacks counts as zero in the mean (as
    under DDP) instead of changing the size of the all-reduce, which would
    leave the ranks waiting on each other; one no rank has stays None."""
    out = str(tmp_path / 'grads.json')
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        'tests/scripts/average_gradients_worker.py', out
    ],
             timeout=300)
    with open(out) as file:
        ranks = json.load(file)
    assert ranks == [[[1.5, 1.5], [2.0, 2.0], None]] * 2

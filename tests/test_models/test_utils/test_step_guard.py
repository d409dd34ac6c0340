# Copyright (c) mmskd contributors. All rights reserved.
"""check_finite_inputs and StepGuard: nothing non-finite reaches a model."""
from unittest import mock

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.structures import BaseDataElement
from torch import nn

from mmskd.models.utils import BufferSnapshot, StepGuard, check_finite_inputs

GUARD = 'mmskd.models.utils.step_guard.'
NAN = float('nan')


def samples(*paths):
    return [BaseDataElement(metainfo=dict(img_path=path)) for path in paths]


def normaliser(std):
    pre = nn.Module()
    pre._enable_normalize = True
    pre.register_buffer('std', torch.tensor(std).view(-1, 1, 1))
    return pre


def test_finite_inputs_pass():
    check_finite_inputs(torch.zeros(2, 3, 4, 4), samples('a.png', 'b.png'))
    check_finite_inputs([torch.zeros(3, 4, 4), torch.ones(3, 2, 2)])


def test_a_nan_image_is_named_by_its_file():
    inputs = torch.zeros(3, 3, 4, 4)
    inputs[1, 0, 2, 2] = NAN
    with pytest.raises(FloatingPointError) as error:
        check_finite_inputs(inputs, samples('a.png', 'b.png', 'c.png'),
                            normaliser([1.0, 2.0, 3.0]))
    message = str(error.value)
    assert '1 preprocessed image(s)' in message
    assert '(b.png)' in message
    assert 'a.png' not in message and 'c.png' not in message
    assert 'corrupt or truncated image' in message
    assert 'weights and the BatchNorm running statistics are unchanged' in \
        message


def test_a_zero_std_is_named_as_the_cause():
    inputs = torch.full((2, 3, 4, 4), float('inf'))
    with pytest.raises(FloatingPointError) as error:
        check_finite_inputs(inputs, samples('a.png', 'b.png'),
                            normaliser([0.0, 0.0, 0.0]))
    message = str(error.value)
    assert 'data_preprocessor.std is [0.0, 0.0, 0.0]' in message
    assert '2 preprocessed image(s)' in message
    assert '[58.395, 57.12, 57.375]' in message


def test_a_sequence_names_its_non_finite_frame():
    inputs = torch.zeros(2, 3, 3, 4, 4)  # (N, L, 3, H, W)
    inputs[0, 2, 1] = NAN
    data_samples = [
        BaseDataElement(
            metainfo=dict(
                img_path=f's{n}_1.png',
                frame_paths=[f's{n}_{f}.png' for f in range(3)]))
        for n in range(2)
    ]
    with pytest.raises(FloatingPointError, match=r'\(s0_2\.png\)'):
        check_finite_inputs(inputs, data_samples)


def test_without_samples_the_batch_index_is_named():
    inputs = [torch.zeros(3, 4, 4), torch.full((3, 2, 2), NAN)]
    with pytest.raises(FloatingPointError, match=r'\(sample 1\)'):
        check_finite_inputs(inputs)


def test_a_buffer_snapshot_puts_buffers_back():
    norm = nn.BatchNorm1d(2)
    snapshot = BufferSnapshot([norm, norm])  # shared modules kept once
    norm(torch.tensor([[NAN, 1.0], [2.0, 3.0]]))
    assert norm.running_mean.isnan().any()
    assert int(norm.num_batches_tracked) == 1
    snapshot.restore()
    assert torch.equal(norm.running_mean, torch.zeros(2))
    assert torch.equal(norm.running_var, torch.ones(2))
    assert int(norm.num_batches_tracked) == 0


def make(accumulative_counts: int = 1):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1),
        accumulative_counts=accumulative_counts)
    return model, wrapper


def train(guard: StepGuard, model, wrapper, scale: float = 1.0) -> bool:
    """One guarded micro-batch; ``scale`` NaN makes the activations NaN."""
    guard.begin('student', [model])
    loss = model(torch.tensor([[1.0, 2.0], [3.0, 5.0]]) * scale).sum()
    return guard.update(wrapper, loss, 'student')


def state(model):
    return [
        t.detach().clone() for t in (*model.parameters(), *model.buffers())
    ]


def assert_same(before, model):
    after = state(model)
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_a_skipped_update_keeps_weights_and_running_statistics():
    model, wrapper = make()
    guard = StepGuard(max_skipped_steps=5)
    before = state(model)
    running_mean = model[1].running_mean.clone()
    with mock.patch(GUARD + 'print_log') as print_log:
        assert not train(guard, model, wrapper, NAN)
    assert_same(before, model)
    assert guard.skipped_in_a_row == dict(student=1)
    assert '1 skipped student update(s) in a row, the run stops at 5' in \
        print_log.call_args.args[0]
    # A finite step changes the statistics and resets the count.
    assert train(guard, model, wrapper)
    assert not torch.equal(running_mean, model[1].running_mean)
    assert guard.skipped_in_a_row == dict(student=0)


def test_the_run_stops_at_max_skipped_steps_in_a_row():
    model, wrapper = make()
    guard = StepGuard(max_skipped_steps=3)
    before = state(model)
    for _ in range(2):
        assert not train(guard, model, wrapper, NAN)
    assert guard.skipped_in_a_row['student'] == 2
    with pytest.raises(RuntimeError) as error:
        train(guard, model, wrapper, NAN)
    message = str(error.value)
    assert 'the last 3 student updates were all skipped' in message
    assert 'model.max_skipped_steps=3' in message
    assert 'clip_grad' in message
    assert_same(before, model)


def test_skips_with_a_step_between_do_not_stop_the_run():
    model, wrapper = make()
    guard = StepGuard(max_skipped_steps=2)
    for _ in range(3):
        assert not train(guard, model, wrapper, NAN)
        assert train(guard, model, wrapper)
    assert guard.skipped_in_a_row['student'] == 0


def test_a_skipped_window_goes_back_to_its_start():
    model, wrapper = make(accumulative_counts=2)
    guard = StepGuard()
    before = state(model)
    running_mean = model[1].running_mean.clone()
    assert not train(guard, model, wrapper)  # finite, mid-window
    assert not torch.equal(running_mean, model[1].running_mean)
    assert not train(guard, model, wrapper, NAN)
    assert_same(before, model)
    assert guard.skipped_in_a_row['student'] == 1


def test_a_step_the_grad_scaler_takes_leaves_no_non_finite_statistics():
    """Under an enabled GradScaler (fp16 AMP) the scaler decides the step;
    running statistics that the step's forward made non-finite go back."""
    model, wrapper = make()
    wrapper.loss_scaler = mock.Mock(is_enabled=mock.Mock(return_value=True))
    guard = StepGuard()
    running = [b.clone() for b in model[1].buffers()]
    with mock.patch.object(wrapper, 'step') as step, \
            mock.patch(GUARD + 'print_log') as print_log:
        assert train(guard, model, wrapper, NAN)  # handed to the scaler
    step.assert_called_once()
    assert all(torch.equal(a, b) for a, b in zip(running, model[1].buffers()))
    assert 'became non-finite in this step' in print_log.call_args.args[0]
    assert guard.skipped_in_a_row == dict(student=0)


def test_a_rank_with_finite_inputs_stops_with_the_one_that_has_none():
    with mock.patch(GUARD + 'get_world_size', return_value=2), \
            mock.patch(GUARD + 'all_reduce') as all_reduce:
        all_reduce.side_effect = lambda flag, op: flag.zero_()
        with pytest.raises(FloatingPointError, match='Another process'):
            check_finite_inputs(torch.zeros(1, 3, 2, 2))
    assert all_reduce.call_args.kwargs == dict(op='min')


@pytest.mark.parametrize('value', [0, -1, 2.5, None])
def test_max_skipped_steps_must_be_a_positive_int(value):
    with pytest.raises(ValueError, match='positive int'):
        StepGuard(value)

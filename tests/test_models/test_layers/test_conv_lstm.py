# Copyright (c) mmskd contributors. All rights reserved.
import itertools
import math

import pytest
import torch

from mmskd.models.layers import ConvLSTM
from mmskd.registry import MODELS


def sigmoid(value):
    return 1 / (1 + math.exp(-value))


def reference_conv(inputs, weight, bias):
    """A zero-padded 'same' convolution, one output value at a time."""
    channels_out, channels_in, kernel, _ = weight.shape
    pad = kernel // 2
    height, width = inputs.shape[-2:]
    out = torch.zeros(channels_out, height, width, dtype=torch.float64)
    for o, y, x in itertools.product(
            range(channels_out), range(height), range(width)):
        total = float(bias[o])
        for c, ky, kx in itertools.product(
                range(channels_in), range(kernel), range(kernel)):
            sy, sx = y + ky - pad, x + kx - pad
            if 0 <= sy < height and 0 <= sx < width:
                total += float(weight[o, c, ky, kx]) * float(inputs[c, sy, sx])
        out[o, y, x] = total
    return out


def reference_lstm(sequence, weight, bias, hidden_channels):
    """Shi et al.'s recurrence without peepholes, element by element."""
    height, width = sequence[0].shape[-2:]
    hidden = torch.zeros(hidden_channels, height, width, dtype=torch.float64)
    cell = torch.zeros_like(hidden)
    for x in sequence:
        gates = reference_conv(torch.cat([x, hidden]), weight, bias)
        new_hidden = torch.zeros_like(hidden)
        new_cell = torch.zeros_like(cell)
        for k, y, x_ in itertools.product(
                range(hidden_channels), range(height), range(width)):
            i = sigmoid(gates[k, y, x_])
            f = sigmoid(gates[hidden_channels + k, y, x_])
            o = sigmoid(gates[2 * hidden_channels + k, y, x_])
            g = math.tanh(gates[3 * hidden_channels + k, y, x_])
            new_cell[k, y, x_] = f * cell[k, y, x_] + i * g
            new_hidden[k, y, x_] = o * math.tanh(new_cell[k, y, x_])
        hidden, cell = new_hidden, new_cell
    return hidden, cell


def test_matches_the_elementwise_recurrence():
    torch.manual_seed(0)
    lstm = MODELS.build(
        dict(_scope_='mmskd', type='ConvLSTM', in_channels=2,
             hidden_channels=2)).double()
    with torch.no_grad():
        for param in lstm.parameters():
            param.normal_(0, 0.5)
    sequence = [torch.randn(2, 2, 4, 5, dtype=torch.float64) for _ in range(3)]
    hiddens, (hidden, cell) = lstm(sequence)
    assert len(hiddens) == 3 and hiddens[-1] is hidden
    assert hidden.shape == cell.shape == (2, 2, 4, 5)
    weight, bias = lstm.gates.weight.detach(), lstm.gates.bias.detach()
    for sample in range(2):
        exp_hidden, exp_cell = reference_lstm([x[sample] for x in sequence],
                                              weight, bias, 2)
        assert torch.allclose(hidden[sample], exp_hidden, atol=1e-10)
        assert torch.allclose(cell[sample], exp_cell, atol=1e-10)
    first_hidden, _ = reference_lstm([sequence[0][0]], weight, bias, 2)
    assert torch.allclose(hiddens[0][0], first_hidden, atol=1e-10)


def test_zero_weights_are_the_collapse_point():
    lstm = ConvLSTM(1, 3)
    with torch.no_grad():
        for param in lstm.parameters():
            param.zero_()
    _, (hidden, cell) = lstm([torch.randn(2, 1, 4, 4) for _ in range(3)])
    assert torch.equal(hidden, torch.zeros_like(hidden))
    assert torch.equal(cell, torch.zeros_like(cell))


def test_order_matters():
    torch.manual_seed(1)
    lstm = ConvLSTM(1, 2)
    sequence = [torch.randn(1, 1, 3, 3) for _ in range(3)]
    _, (forwards, _) = lstm(sequence)
    _, (backwards, _) = lstm(sequence[::-1])
    assert not torch.allclose(forwards, backwards)


def test_a_stacked_tensor_is_a_sequence():
    lstm = ConvLSTM(1, 2)
    stacked = torch.randn(3, 2, 1, 4, 4)
    _, (hidden, _) = lstm(stacked)
    _, (expected, _) = lstm(list(stacked))
    assert torch.equal(hidden, expected)


@pytest.mark.parametrize('kwargs, match', [
    (dict(in_channels=0, hidden_channels=2), 'positive'),
    (dict(in_channels=1, hidden_channels=2, kernel_size=2), 'odd'),
])
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ConvLSTM(**kwargs)


def test_invalid_sequences_raise():
    lstm = ConvLSTM(1, 2)
    with pytest.raises(ValueError, match='at least one'):
        lstm([])
    with pytest.raises(ValueError, match=r'\(N, 1, H, W\)'):
        lstm([torch.zeros(1, 2, 4, 4)])
    with pytest.raises(ValueError, match='map 1'):
        lstm([torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5)])

# Copyright (c) mmskd contributors. All rights reserved.
import itertools

import pytest
import torch
import torch.nn.functional as F

import mmskd  # noqa: F401
from mmskd.models.losses import MultiFrameDependencyLoss
from mmskd.registry import MODELS


def explicit_similarity(feats, node):
    """Cosine similarity of every pair of node-pooled positions, one pair at
    a time: (B, 1, n, n)."""
    num, channels, height, width = feats.shape
    rows, cols = height // node, width // node
    nodes = torch.zeros(num, channels, rows * cols, dtype=torch.float64)
    for index, (r,
                c) in enumerate(itertools.product(range(rows), range(cols))):
        patch = feats[:, :, r * node:(r + 1) * node, c * node:(c + 1) * node]
        nodes[:, :, index] = patch.mean(dim=(2, 3))
    size = rows * cols
    sim = torch.zeros(num, 1, size, size, dtype=torch.float64)
    for b, i, j in itertools.product(range(num), range(size), range(size)):
        u, v = nodes[b, :, i], nodes[b, :, j]
        sim[b, 0, i, j] = u.dot(v) / (u.norm() * v.norm())
    return sim


def reference_embedding(lstm, sequence):
    """The ConvLSTM recurrence (gates i, f, o, g) from zero states."""
    weight = lstm.gates.weight.detach().double()
    bias = lstm.gates.bias.detach().double()
    hidden_channels = lstm.hidden_channels
    num, _, height, width = sequence[0].shape
    hidden = torch.zeros(
        num, hidden_channels, height, width, dtype=torch.float64)
    cell = torch.zeros_like(hidden)
    for x in sequence:
        gates = F.conv2d(
            torch.cat([x, hidden], 1),
            weight,
            bias,
            padding=weight.shape[-1] // 2)
        i, f, o, g = gates.split(hidden_channels, dim=1)
        cell = f.sigmoid() * cell + i.sigmoid() * g.tanh()
        hidden = o.sigmoid() * cell.tanh()
    return hidden, cell


def reference_loss(loss, feats_S, feats_T, node):
    """ℓ_MF with separate teacher and student passes of the shared ConvLSTM."""
    h_S, c_S = reference_embedding(
        loss.conv_lstm,
        [explicit_similarity(f.double(), node) for f in feats_S])
    h_T, c_T = reference_embedding(
        loss.conv_lstm,
        [explicit_similarity(f.double(), node) for f in feats_T])

    def distance(a, b):
        sq = (a - b)**2
        if loss.reduction == 'mean':
            return sq.mean()
        return sq.flatten(1).sum(1).mean()

    value = distance(h_T, h_S)
    if loss.match_cell:
        value = value + distance(c_T, c_S)
    value = value + loss.enlarge_weight * (1 - h_T).mean()
    return loss.loss_weight * value


def random_sequences(seed=0,
                     frames=3,
                     num=2,
                     channels_S=3,
                     channels_T=5,
                     size=4):
    generator = torch.Generator().manual_seed(seed)
    feats_S = [
        torch.randn(num, channels_S, size, size, generator=generator)
        for _ in range(frames)
    ]
    feats_T = [
        torch.randn(num, channels_T, size, size, generator=generator)
        for _ in range(frames)
    ]
    return feats_S, feats_T


def randomise(loss, seed=0, std=0.3):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in loss.conv_lstm.parameters():
            param.copy_(torch.randn(param.shape, generator=generator) * std)


@pytest.mark.parametrize('node_size', [1, 2])
@pytest.mark.parametrize('match_cell, reduction, enlarge_weight',
                         [(False, 'mean', 1.0), (True, 'mean', 0.0),
                          (False, 'sum', 0.5)])
def test_matches_separate_reference_passes(node_size, match_cell, reduction,
                                           enlarge_weight):
    loss = MODELS.build(
        dict(
            _scope_='mmskd',
            type='MultiFrameDependencyLoss',
            node_size=node_size,
            match_cell=match_cell,
            reduction=reduction,
            enlarge_weight=enlarge_weight,
            loss_weight=0.7))
    randomise(loss)
    feats_S, feats_T = random_sequences()
    value = loss(feats_S, feats_T)
    expected = reference_loss(loss, feats_S, feats_T, node_size)
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(expected.item(), rel=1e-5)


def test_identical_features_leave_only_the_enlarge_term():
    loss = MultiFrameDependencyLoss(node_size=1, enlarge_weight=2.0)
    randomise(loss, 1)
    _, feats_T = random_sequences(1)
    feats_S = [f.clone().requires_grad_() for f in feats_T]
    value = loss(feats_S, feats_T)
    h_T, _ = reference_embedding(
        loss.conv_lstm, [explicit_similarity(f.double(), 1) for f in feats_T])
    assert value.item() == pytest.approx(
        2.0 * (1 - h_T).mean().item(), rel=1e-5)
    value.backward()
    # The enlarge term only depends on the teacher: it trains the ConvLSTM.
    assert all(f.grad.abs().max() < 1e-6 for f in feats_S)
    assert all(p.grad.abs().sum() > 0 for p in loss.conv_lstm.parameters())


def test_the_collapse_point_is_not_a_minimum():
    loss = MultiFrameDependencyLoss(node_size=1, enlarge_weight=1.0)
    with torch.no_grad():
        for param in loss.conv_lstm.parameters():
            param.zero_()
    feats_S, feats_T = random_sequences(2)
    # All-zero ConvLSTM: E^T = E^S = 0 whatever the student does...
    value = loss(feats_S, feats_T)
    # ...so only mean(1 - E^T) = 1 remains, and its gradient moves away.
    assert value.item() == pytest.approx(1.0)
    value.backward()
    assert loss.conv_lstm.gates.bias.grad.abs().sum() > 0


def test_weights_are_clipped_in_training_only():
    loss = MultiFrameDependencyLoss(node_size=1, clip_value=0.1)
    with torch.no_grad():
        loss.conv_lstm.gates.weight.fill_(0.5)
        loss.conv_lstm.gates.bias.fill_(-0.5)
    feats_S, feats_T = random_sequences(3)
    loss.eval()
    loss(feats_S, feats_T)
    assert loss.conv_lstm.gates.weight.max().item() == 0.5
    loss.train()
    value = loss(feats_S, feats_T)
    for param in loss.conv_lstm.parameters():
        assert param.abs().max().item() == pytest.approx(0.1)
    # The forward already used the clipped weights.
    assert value.item() == pytest.approx(
        reference_loss(loss, feats_S, feats_T, 1).item(), rel=1e-5)
    unclipped = MultiFrameDependencyLoss(node_size=1, clip_value=None)
    with torch.no_grad():
        unclipped.conv_lstm.gates.weight.fill_(0.5)
    unclipped(feats_S, feats_T)
    assert unclipped.conv_lstm.gates.weight.max().item() == 0.5


def test_gradients_reach_student_and_conv_lstm_not_teacher():
    loss = MultiFrameDependencyLoss(node_size=2)
    randomise(loss, 4)
    feats_S, feats_T = random_sequences(4)
    feats_S = [f.requires_grad_() for f in feats_S]
    feats_T = [f.requires_grad_() for f in feats_T]
    loss(feats_S, feats_T).backward()
    assert all(f.grad.abs().sum() > 0 for f in feats_S)
    assert all(f.grad is None for f in feats_T)
    # The ConvLSTM is the loss's own (trainable) submodule.
    assert set(loss.state_dict()) == {
        'conv_lstm.gates.weight', 'conv_lstm.gates.bias'
    }


def test_sequence_order_matters():
    loss = MultiFrameDependencyLoss(node_size=1, enlarge_weight=0.0)
    randomise(loss, 5)
    feats_S, feats_T = random_sequences(5)
    forwards = loss(feats_S, feats_T).item()
    backwards = loss(feats_S[::-1], feats_T[::-1]).item()
    assert abs(forwards - backwards) > 1e-6 * abs(forwards)


@pytest.mark.parametrize('kwargs, match', [
    (dict(pool='min'), 'pool'),
    (dict(reduction='max'), 'reduction'),
    (dict(clip_value=0), 'clip_value'),
    (dict(node_size=0), 'node_size'),
])
def test_invalid_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiFrameDependencyLoss(**kwargs)


def test_invalid_sequences_raise():
    feats_S, feats_T = random_sequences(6)
    loss = MultiFrameDependencyLoss(node_size=1)
    with pytest.raises(ValueError, match='2 student and 3 teacher'):
        loss(feats_S[:2], feats_T)
    with pytest.raises(ValueError, match='T >= 1'):
        loss([], [])
    with pytest.raises(ValueError, match='resize_student'):
        loss([f[..., :2, :2] for f in feats_S], feats_T)

# Copyright (c) mmskd contributors. All rights reserved.
"""DepthBinHead: bins, loss and expected depth against hand computations.

The references are written out with numpy from the definitions in the
docstrings (bin k of K spans [d_min r^k, d_min r^(k+1)), r = (d_max /
d_min)^(1/K); targets exp(-alpha (k - k*)^2) normalised per k*), not by
calling the code under test.
"""
import math

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
import mmskd.models.heads.depth_bin_head as head_module
from mmskd.models.heads import DepthBinHead, ExpectedDepth
from mmskd.models.heads.depth_bins import (depth_to_bin, gaussian_bin_targets,
                                           log_bin_centres)

# 4 bins over [1, 16]: r = 2, edges 1, 2, 4, 8, 16, centres 2^(k + 1/2).
BINS = dict(num_bins=4, min_depth=1.0, max_depth=16.0)
CENTRES = np.sqrt(2.0) * np.array([1.0, 2.0, 4.0, 8.0])
# A 2x3 depth map: bins 0, invalid, 2, 3 (beyond the range), invalid, 1.
GT_DEPTH = np.array([[1.5, 0.0, 5.0], [20.0, 0.0, 3.9]])
GT_BINS = np.array([[0, -1, 2], [3, -1, 1]])


def make_head(**kwargs) -> DepthBinHead:
    """A tiny head: 4 input channels, 3 fused channels, no dropout."""
    options = dict(
        in_channels=4,
        channels=3,
        dropout_ratio=0.0,
        pool_scales=(1, 2),
        **BINS)
    options.update(kwargs)
    return DepthBinHead(**options)


def sample_with(depth: np.ndarray) -> SegDataSample:
    """A data sample holding ``depth`` as its (1, H, W) gt_depth_map."""
    sample = SegDataSample()
    sample.gt_depth_map = PixelData(
        data=torch.tensor(depth, dtype=torch.float32)[None])
    return sample


def fixed_logits() -> torch.Tensor:
    """Hand-picked (1, 4, 2, 3) logits, different at every pixel."""
    values = np.arange(24, dtype=np.float64).reshape(1, 4, 2, 3)
    return torch.tensor(np.cos(values) * 3.0, dtype=torch.float32)


def numpy_log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def numpy_cross_entropy(logits: np.ndarray, alpha) -> float:
    """Mean over the valid pixels of -sum_k q(k | k*) log p_k."""
    log_prob = numpy_log_softmax(logits)[0]  # (K, H, W)
    num_bins = log_prob.shape[0]
    terms = []
    for (row, col), true_bin in np.ndenumerate(GT_BINS):
        if true_bin < 0:
            continue
        if alpha is None:
            target = np.eye(num_bins)[true_bin]
        else:
            weight = np.exp(-alpha * (np.arange(num_bins) - true_bin)**2)
            target = weight / weight.sum()
        terms.append(-(target * log_prob[:, row, col]).sum())
    return float(np.mean(terms))


def test_bins_are_log_spaced_geometric_centres():
    assert np.allclose(log_bin_centres(**BINS).numpy(), CENTRES)
    centres = log_bin_centres(150, 0.1, 10.0).numpy()
    ratios = centres[1:] / centres[:-1]
    assert np.allclose(ratios, 100.0**(1 / 150))
    assert math.isclose(centres[0], 0.1 * 100.0**(0.5 / 150), rel_tol=1e-6)


def test_depth_to_bin_and_range_ends():
    depth = torch.tensor([1.01, 1.99, 2.01, 7.9, 8.1, 15.9, 0.3, 100.0])
    expected = [0, 0, 1, 2, 3, 3, 0, 3]  # out of range: the end bins
    assert depth_to_bin(depth, **BINS).tolist() == expected


def test_gaussian_targets_by_hand():
    targets = gaussian_bin_targets(4, 0.5).numpy()
    row = np.exp(-0.5 * np.array([1.0, 0.0, 1.0, 4.0]))  # k* = 1
    assert np.allclose(targets[1], row / row.sum())
    assert np.allclose(targets.sum(1), 1.0)
    # A huge alpha is one-hot, without NaN.
    assert np.allclose(gaussian_bin_targets(4, 1e6).numpy(), np.eye(4))


@pytest.mark.parametrize('weighting,alpha', [('gaussian', 0.2),
                                             ('gaussian', 1.5),
                                             ('none', None)])
def test_loss_equals_hand_computed_cross_entropy(weighting, alpha):
    head = make_head(weighting=weighting, alpha=alpha or 0.2, loss_weight=2.0)
    logits = fixed_logits()
    losses = head.loss_by_feat(logits, [sample_with(GT_DEPTH)])
    assert set(losses) == {'loss_depth_bin'}
    expected = 2.0 * numpy_cross_entropy(logits.double().numpy(), alpha)
    assert math.isclose(
        losses['loss_depth_bin'].item(), expected, rel_tol=1e-5)


def test_loss_over_150_bins_equals_the_dense_cross_entropy():
    # The head sums each pixel's targets over the band where they are not
    # zero in float32 (22 bins either side at alpha 0.2); the reference sums
    # over all 150 bins in float64, from the definition.
    head = make_head(num_bins=150, min_depth=0.1, max_depth=10.0)
    generator = torch.Generator().manual_seed(0)
    logits = 4 * torch.randn(2, 150, 5, 7, generator=generator)
    depths = torch.rand(2, 1, 5, 7, generator=generator) * 12.0
    depths[0, 0, 1] = 0.0  # a row of invalid pixels
    losses = head.loss_by_feat(logits,
                               [sample_with(d[0].numpy()) for d in depths])

    log_prob = numpy_log_softmax(logits.double().numpy())
    width = (np.log(10.0) - np.log(0.1)) / 150
    bins = np.arange(150)
    terms = []
    for image, row, col in np.ndindex(2, 5, 7):
        depth = float(depths[image, 0, row, col])
        if depth == 0:
            continue
        true_bin = int(np.clip((np.log(depth) - np.log(0.1)) // width, 0, 149))
        target = np.exp(-0.2 * (bins - true_bin)**2)
        target /= target.sum()
        terms.append(-(target * log_prob[image, :, row, col]).sum())
    assert len(terms) == 2 * 35 - 7
    assert losses['loss_depth_bin'].item() == pytest.approx(
        np.mean(terms), rel=1e-5)


@pytest.mark.parametrize('expectation', ['log', 'linear'])
def test_prediction_is_expected_depth_over_bin_centres(expectation):
    # 'log' as VNL's bins_to_depth: 10 ** (sum of p times log10 centre).
    head = make_head(expectation=expectation)
    logits = fixed_logits()
    metas = [dict(img_shape=(2, 3), pad_shape=(2, 3))]
    depth = head.predict_by_feat(logits, metas)
    prob = np.exp(numpy_log_softmax(logits.double().numpy()))
    if expectation == 'log':
        expected = 10**np.einsum('nkhw,k->nhw', prob, np.log10(CENTRES))
    else:
        expected = np.einsum('nkhw,k->nhw', prob, CENTRES)
    assert depth.shape == (1, 1, 2, 3)
    assert np.allclose(depth.numpy(), expected[:, None], rtol=1e-5)
    assert head.out_channels == 1 and head.conv_seg.out_channels == 4


@pytest.mark.parametrize('bins', [(4, 0.5, 80.0), (16, 1.0, 16.0)])
def test_confident_logits_stay_within_the_end_centres(bins):
    # 10 ** log10(d) can come back an ulp above d in float32.
    centres = log_bin_centres(*bins)
    logits = torch.full((1, bins[0], 1, 2), -100.0)
    logits[0, 0, 0, 0] = logits[0, -1, 0, 1] = 100.0
    depth = ExpectedDepth(centres)(logits)[0, 0, 0]
    assert depth[0] >= centres[0] and depth[1] <= centres[-1]
    assert torch.allclose(depth, centres[[0, -1]], rtol=1e-6)


def test_flat_logits_give_the_geometric_mean_of_the_centres():
    flat = torch.zeros(1, 4, 1, 1)
    geometric = float(np.exp(np.log(CENTRES).mean()))
    assert make_head().expected_depth(flat).item() == pytest.approx(
        geometric, rel=1e-6)
    assert make_head(expectation='linear').expected_depth(
        flat).item() == pytest.approx(float(np.mean(CENTRES)), rel=1e-6)


def test_invalid_pixels_are_ignored_exactly():
    head = make_head()
    logits = fixed_logits().requires_grad_()
    loss = head.loss_by_feat(logits, [sample_with(GT_DEPTH)])
    loss['loss_depth_bin'].backward()
    invalid = torch.tensor(GT_DEPTH == 0)
    assert torch.all(logits.grad[0][:, invalid] == 0)
    assert torch.all(logits.grad[0][:, ~invalid].abs().sum(0) > 0)

    changed = fixed_logits()
    changed[0][:, invalid] = torch.tensor([50.0, -7.0, 3.0, 0.5])[:, None]
    again = head.loss_by_feat(changed, [sample_with(GT_DEPTH)])
    assert again['loss_depth_bin'].item() == loss['loss_depth_bin'].item()


def test_gradients_reach_every_parameter():
    torch.manual_seed(0)
    head = make_head()
    feature = torch.randn(2, 4, 6, 6)
    depth = np.linspace(1.2, 12.0, 12).reshape(3, 4)
    samples = [sample_with(depth), sample_with(depth[::-1].copy())]
    losses = head.loss([feature], samples, train_cfg=dict())
    losses['loss_depth_bin'].backward()
    for name, param in head.named_parameters():
        assert param.grad is not None and param.grad.abs().sum() > 0, name


def test_silog_term_by_hand_averages_over_labelled_images():
    head = make_head(loss_silog_weight=0.5)
    logits = torch.cat([fixed_logits(), fixed_logits().flip(3)])
    logits.requires_grad_()
    empty = np.zeros_like(GT_DEPTH)
    losses = head.loss_by_feat(
        logits,
        [sample_with(GT_DEPTH), sample_with(empty)])
    assert set(losses) == {'loss_depth_bin', 'loss_silog'}
    # Only image 0 has valid pixels: SiLog = sqrt(mean d^2 - mean(d)^2 / 2)
    # with d = log gt - log pred on them, pred the log-space expectation.
    prob = np.exp(numpy_log_softmax(logits[:1].detach().double().numpy()))
    pred = 10**np.einsum('nkhw,k->hw', prob, np.log10(CENTRES))
    diff = np.log(GT_DEPTH[GT_DEPTH > 0]) - np.log(pred[GT_DEPTH > 0])
    expected = 0.5 * math.sqrt((diff**2).mean() - 0.5 * diff.mean()**2)
    assert math.isclose(losses['loss_silog'].item(), expected, rel_tol=1e-5)
    # mmseg's SiLog alone would average in the empty image as 0.
    both = torch.tensor(np.stack([GT_DEPTH, empty]), dtype=torch.float32)
    alone = head.loss_decode(head.logits_to_depth(logits), both[:, None])
    assert math.isclose(alone.item(), expected / 2, rel_tol=1e-5)
    sum(losses.values()).backward()
    assert torch.isfinite(logits.grad).all()
    assert torch.all(logits.grad[1] == 0)


def test_empty_batch_gives_zero_loss_and_one_warning(monkeypatch):
    warnings = []
    monkeypatch.setattr(head_module, 'print_log',
                        lambda message, **kwargs: warnings.append(message))
    torch.manual_seed(0)
    head = make_head(loss_silog_weight=1.0)
    feature = torch.randn(1, 4, 2, 3)
    empty = [sample_with(np.zeros((2, 3)))]
    for _ in range(2):
        losses = head.loss([feature], empty, train_cfg=dict())
        assert set(losses) == {'loss_depth_bin', 'loss_silog'}
        total = sum(losses.values())
        assert total.item() == 0.0
        head.zero_grad()
        total.backward()
        for name, param in head.named_parameters():
            assert torch.equal(param.grad, torch.zeros_like(param)), name
    assert len(warnings) == 1 and 'no valid depth pixel' in warnings[0]


def test_bin_logits_give_the_prediction_through_logits_to_depth():
    head = make_head()
    logits = fixed_logits()
    assert torch.allclose(
        head.logits_to_depth(logits),
        head.predict_by_feat(logits, [dict(img_shape=(2, 3))]))
    with pytest.raises(ValueError, match=r'\(N, 4, H, W\)'):
        head.logits_to_depth(torch.zeros(1, 5, 2, 2))


def test_missing_gt_depth_map_is_named():
    with pytest.raises(KeyError, match=r'samples \[1\].*gt_depth_map'):
        make_head().loss_by_feat(
            fixed_logits().repeat(2, 1, 1, 1),
            [sample_with(GT_DEPTH), SegDataSample()])


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(num_bins=1), ValueError, 'num_bins must be an integer of at '
     'least 2'),
    (dict(num_bins=2.5), ValueError, 'num_bins'),
    (dict(num_bins=True), ValueError, 'num_bins'),
    (dict(min_depth=10.0, max_depth=10.0), ValueError, 'min_depth < '
     'max_depth'),
    (dict(min_depth=12.0, max_depth=10.0), ValueError, 'min_depth < '
     'max_depth'),
    (dict(min_depth=0.0), ValueError, 'min_depth must be positive'),
    (dict(max_depth=float('inf')), ValueError,
     'max_depth must be a finite number'),
    (dict(weighting='linear'), ValueError, 'weighting must be one of'),
    (dict(expectation='mean'), ValueError, 'expectation must be one of'),
    (dict(alpha=0.0), ValueError, 'alpha must be a positive'),
    (dict(loss_weight=-1.0), ValueError, 'loss_weight must be >= 0'),
    (dict(loss_silog_weight=float('nan')), ValueError, 'loss_silog_weight'),
    (dict(num_classes=19), TypeError, 'set num_bins instead of '
     'num_classes'),
    (dict(loss_decode=dict(type='SiLogLoss')), TypeError, 'loss_decode'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        make_head(**kwargs)

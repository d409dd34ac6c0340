# Copyright (c) mmskd contributors. All rights reserved.
"""Log-spaced depth bins: depth as a class over ``num_bins`` intervals.

The range ``[min_depth, max_depth]`` is cut into ``num_bins`` intervals of
equal width in log-depth, so that bin k spans

.. math::
    [\\,d_{min} r^{k},\\; d_{min} r^{k+1}), \\qquad
    r = (d_{max} / d_{min})^{1 / K},

and has the centre :math:`d_k = d_{min} r^{k + 1/2}` (the geometric mean of
its edges). Equal log widths give every bin the same *relative* depth error,
the quantity the depth metrics (rel, log10, δ) measure, instead of spending
most bins on the far range as linear bins would.
"""
import math
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import Tensor


def check_depth_bins(num_bins: int, min_depth: float,
                     max_depth: float) -> None:
    """Raise a ValueError naming the argument if the bins are impossible.

    Args:
        num_bins (int): The number of bins; at least 2.
        min_depth (float): The near end of the range; positive (a log-spaced
            range cannot start at 0).
        max_depth (float): The far end of the range; above ``min_depth``.
    """
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) \
            or num_bins < 2:
        raise ValueError(
            f'num_bins must be an integer of at least 2, got {num_bins!r}')
    for name, value in (('min_depth', min_depth), ('max_depth', max_depth)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) \
                or not math.isfinite(value):
            raise ValueError(f'{name} must be a finite number, got {value!r}')
    if min_depth <= 0:
        raise ValueError('min_depth must be positive for log-spaced bins, '
                         f'got {min_depth}')
    if min_depth >= max_depth:
        raise ValueError(f'the depth range needs min_depth < max_depth, got '
                         f'min_depth={min_depth} and max_depth={max_depth}')


def log_bin_centres(num_bins: int, min_depth: float,
                    max_depth: float) -> Tensor:
    """The centres :math:`d_k = d_{min} r^{k + 1/2}` of the bins.

    Args:
        num_bins (int): The number of bins K.
        min_depth (float): The near end of the range.
        max_depth (float): The far end of the range.

    Returns:
        Tensor: Float32 centres of shape (K,), increasing.
    """
    check_depth_bins(num_bins, min_depth, max_depth)
    # Computed in float64 so that the far bins keep float32 precision.
    steps = torch.arange(num_bins, dtype=torch.float64) + 0.5
    log_width = (math.log(max_depth) - math.log(min_depth)) / num_bins
    return torch.exp(math.log(min_depth) + steps * log_width).float()


def depth_to_bin(depth: Tensor, num_bins: int, min_depth: float,
                 max_depth: float) -> Tensor:
    """The index of the bin that holds each (positive) depth.

    Depths outside the range go to the end bins: a far wall beyond
    ``max_depth`` is still "farthest", not unknown.

    Args:
        depth (Tensor): Positive depths, any shape.
        num_bins (int): The number of bins K.
        min_depth (float): The near end of the range.
        max_depth (float): The far end of the range.

    Returns:
        Tensor: Int64 bin indices in [0, K - 1], of the shape of ``depth``.
    """
    check_depth_bins(num_bins, min_depth, max_depth)
    log_width = (math.log(max_depth) - math.log(min_depth)) / num_bins
    position = (torch.log(depth.double()) - math.log(min_depth)) / log_width
    return position.floor().clamp(0, num_bins - 1).long()


def gaussian_bin_targets(num_bins: int, alpha: float) -> Tensor:
    """Soft targets that spread each true bin over its neighbours.

    Row k* is :math:`q(k | k^*) \\propto \\exp(-\\alpha (k - k^*)^2)`,
    normalised to sum to 1, so that a cross-entropy against it charges a
    prediction one bin off less than one ten bins off (the bins are
    ordered; plain one-hot cross-entropy treats every wrong bin alike).

    Args:
        num_bins (int): The number of bins K.
        alpha (float): The sharpness; positive. Larger is closer to one-hot.

    Returns:
        Tensor: A float32 (K, K) matrix whose row k* is the target of a pixel
        whose true bin is k*.
    """
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) \
            or not alpha > 0 or not math.isfinite(alpha):
        raise ValueError(f'alpha must be a positive number, got {alpha!r}')
    index = torch.arange(num_bins, dtype=torch.float64)
    logits = -alpha * (index[None, :] - index[:, None])**2
    # A softmax over each row is the exp normalised to 1, and stays finite
    # for any alpha (exp of large negative numbers underflows to 0 only
    # away from the diagonal, whose entry is exp(0) before normalising).
    return torch.softmax(logits, dim=1).float()


def target_band(targets: Tensor) -> Tuple[Tensor, Tensor]:
    """The nonzero band of a (K, K) target matrix, row by row.

    A row of :func:`gaussian_bin_targets` is exactly zero in float32 away
    from its diagonal (for alpha = 0.2, beyond 22 bins), so a cross-entropy
    needs only the logits of the band: :func:`soft_bin_cross_entropy`
    gathers those instead of multiplying every pixel's K log-probabilities.

    Args:
        targets (Tensor): A (K, K) matrix whose row k* is the target of true
            bin k*.

    Returns:
        tuple[Tensor, Tensor]: ``index`` (K, B), int64 bins in [0, K - 1],
        and ``weights`` (K, B), the targets at those bins (0 where the band
        runs past an end), with B = 2R + 1 for the widest offset R of a
        nonzero entry.
    """
    num_bins = targets.shape[0]
    bins = torch.arange(num_bins)
    rows, cols = targets.nonzero(as_tuple=True)
    radius = int((cols - rows).abs().max()) if len(rows) else 0
    offsets = torch.arange(-radius, radius + 1)
    wanted = bins[:, None] + offsets[None, :]
    inside = (wanted >= 0) & (wanted < num_bins)
    index = wanted.clamp(0, num_bins - 1)
    weights = targets.gather(1, index) * inside
    return index, weights


def soft_bin_cross_entropy(logits: Tensor, true_bin: Tensor, index: Tensor,
                           weights: Tensor) -> Tensor:
    """Per-pixel :math:`-\\sum_k q(k | k^*) \\log p_k` over a target band.

    The logits are made channels-last first: the log-softmax and the band's
    gather then read each pixel's K values contiguously, which on the CPU
    takes half the time of the same terms over channels-first maps.

    Args:
        logits (Tensor): Bin logits of shape (N, K, H, W).
        true_bin (Tensor): Int64 true bins of shape (N, H, W).
        index (Tensor): The band's bins, (K, B), from :func:`target_band`.
        weights (Tensor): The band's targets, (K, B).

    Returns:
        Tensor: The cross-entropy of every pixel, of shape (N, H, W).
    """
    log_prob = F.log_softmax(logits.permute(0, 2, 3, 1).contiguous(), dim=3)
    band_log_prob = log_prob.gather(3, index[true_bin])
    return -(band_log_prob * weights[true_bin]).sum(3)

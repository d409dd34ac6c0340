# Copyright (c) mmskd contributors. All rights reserved.
"""Time and memory of the global pair-wise loss: Gram form against N x N.

``PairWiseAffinityLoss`` on a fully connected graph never builds the N x N
affinity matrices (it uses the Gram-matrix identity). The probe times it
against the explicit form on the same random features, where that fits,
and checks that both give the same value.
"""
import os
from typing import Any, Callable, Dict, Sequence

import torch
import torch.nn.functional as F

from .meter import GiB, MemoryMeter
from .phases import Phase, measure

# Peak memory of the explicit N x N pair-wise loss (fwd + bwd) in units of
# one float32 N x N matrix per sample: the two affinity matrices, their
# difference, its square and the gradients. Measured 5.0 on CPU (64 x 128
# nodes); rounded up so that the estimate errs on the safe side.
EXPLICIT_PAIRWISE_MATRICES = 6


def explicit_pairwise_loss(preds_S: torch.Tensor,
                           preds_T: torch.Tensor) -> torch.Tensor:
    """The fully connected pair-wise loss through N x N affinity matrices.

    Args:
        preds_S (torch.Tensor): Student features (B, Cs, h, w), one node per
            pixel.
        preds_T (torch.Tensor): Teacher features (B, Ct, h, w).

    Returns:
        torch.Tensor: The mean squared difference of the cosine affinities.
    """
    nodes_S = F.normalize(preds_S, p=2, dim=1).flatten(2)
    nodes_T = F.normalize(preds_T.detach(), p=2, dim=1).flatten(2)
    aff_S = nodes_S.transpose(1, 2).bmm(nodes_S)
    aff_T = nodes_T.transpose(1, 2).bmm(nodes_T)
    return (aff_S - aff_T).square().mean()


def _available_bytes(device: torch.device) -> int:
    """Free memory of the device (CUDA) or available memory (CPU)."""
    if device.type == 'cuda':
        return torch.cuda.mem_get_info(device)[0]
    try:
        with open('/proc/meminfo') as meminfo:
            for line in meminfo:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_AVPHYS_PAGES')


def pairwise_probe(grid: Sequence[int], channels: Sequence[int], batch: int,
                   device: torch.device, iters: int, warmup: int,
                   meter: MemoryMeter) -> Dict[str, Any]:
    """Time and memory of the global pair-wise loss: Gram vs. N x N.

    Both compute the same value on random (B, C, h, w) student/teacher
    features with node size 1 (node grid = feature grid). The explicit
    form is run only where ``EXPLICIT_PAIRWISE_MATRICES`` N x N float32
    matrices per sample fit in half the available memory.

    Args:
        grid (Sequence[int]): (h, w) of the node grid.
        channels (Sequence[int]): Student and teacher feature channels.
        batch (int): Samples per batch.
        device (torch.device): Where to run.
        iters (int): Timed calls per form.
        warmup (int): Untimed calls before them.
        meter (MemoryMeter): The memory meter of ``device``.

    Returns:
        dict: ``grid``, ``nodes``, ``channels``, ``batch``, the phase
        results ``gram`` and ``explicit`` (or ``explicit['skipped']``, the
        reason), ``explicit_estimate_gib`` and, when both ran,
        ``abs_diff`` of their values.
    """
    from mmskd.models.losses import PairWiseAffinityLoss
    height, width = grid
    channels_S, channels_T = channels
    generator = torch.Generator().manual_seed(0)
    preds_S = torch.randn(
        batch, channels_S, height, width,
        generator=generator).to(device).requires_grad_()
    preds_T = torch.randn(
        batch, channels_T, height, width, generator=generator).to(device)
    gram_loss = PairWiseAffinityLoss(node_size=1, connection_range=None)
    num_nodes = height * width

    def step(loss_fn: Callable) -> Callable[[], dict]:

        def run() -> dict:
            preds_S.grad = None
            loss = loss_fn(preds_S, preds_T)
            loss.backward()
            return dict(loss=loss.detach())

        return run

    result = dict(
        grid=[height, width],
        nodes=num_nodes,
        channels=[channels_S, channels_T],
        batch=batch)
    result['gram'] = measure([Phase('gram', 'Gram identity', step(gram_loss))],
                             iters, warmup, device, meter)['gram']
    need = EXPLICIT_PAIRWISE_MATRICES * batch * num_nodes**2 * 4
    available = _available_bytes(device)
    result['explicit_estimate_gib'] = need / GiB
    if need > available / 2:
        result['explicit'] = dict(
            skipped=f'would need {need / GiB:.1f} GiB '
            f'(about {EXPLICIT_PAIRWISE_MATRICES} x {batch} x {num_nodes}² '
            f'float32), {available / GiB:.1f} GiB available')
        return result
    result['explicit'] = measure(
        [Phase('explicit', 'explicit', step(explicit_pairwise_loss))], iters,
        warmup, device, meter)['explicit']
    gram_value = result['gram']['log_vars']['loss']
    explicit_value = result['explicit']['log_vars']['loss']
    result['abs_diff'] = abs(gram_value - explicit_value)
    return result

# Copyright (c) mmskd contributors. All rights reserved.
"""Adaptive average pooling that ONNX can express at a fixed input size.

ONNX has no adaptive pooling: torch's exporter writes ``AdaptiveAvgPool2d``
as a global or a strided ``AveragePool`` only when the output size divides
the input size, and refuses it otherwise, e.g. PSPNet's 3x3 and 6x6 bins on
a 16x16 or 64x128 feature. For a known input size each bin is a fixed window
(PyTorch's rule: bin i of n over a length L spans [floor(i L / n),
ceil((i + 1) L / n))), so the pooling is exactly a mean over slices, which
ONNX expresses (Slice, ReduceMean, Concat).
"""
import math
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn


def bin_edges(length: int, bins: int) -> List[Tuple[int, int]]:
    """The [start, end) window of each adaptive-pooling bin.

    Args:
        length (int): The input length.
        bins (int): The output length.

    Returns:
        list[tuple[int, int]]: One window per bin, as PyTorch pools them.
    """
    return [(index * length // bins, math.ceil((index + 1) * length / bins))
            for index in range(bins)]


def _pooled(x: Tensor, dim: int, bins: Optional[int]) -> Tensor:
    """``x`` averaged into ``bins`` adaptive windows along ``dim``."""
    length = int(x.shape[dim])
    if bins is None or bins == length:
        return x
    return torch.cat([
        x.narrow(dim, start, end - start).mean(dim=dim, keepdim=True)
        for start, end in bin_edges(length, bins)
    ],
                     dim=dim)


class StaticAdaptiveAvgPool2d(nn.Module):
    """``nn.AdaptiveAvgPool2d`` as slices and means, exportable to ONNX.

    The windows are computed from the input's size when the module is
    traced, so an exported graph holds them for that size only.

    Args:
        output_size (int | tuple): As ``nn.AdaptiveAvgPool2d``'s (None
            keeps that dimension).
    """

    def __init__(self, output_size) -> None:
        super().__init__()
        if isinstance(output_size, int) or output_size is None:
            output_size = (output_size, output_size)
        self.output_size = tuple(output_size)

    def forward(self, x: Tensor) -> Tensor:
        """Pool the last two dimensions of ``x``.

        Args:
            x (Tensor): Shape (N, C, H, W).

        Returns:
            Tensor: Shape (N, C, ``*output_size``).
        """
        rows, cols = self.output_size
        return _pooled(_pooled(x, -2, rows), -1, cols)


def static_adaptive_pools(model: nn.Module) -> int:
    """Replace every ``nn.AdaptiveAvgPool2d`` of ``model`` in place.

    Args:
        model (nn.Module): The model to export.

    Returns:
        int: How many modules were replaced.
    """
    replaced = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.AdaptiveAvgPool2d):
                setattr(parent, name,
                        StaticAdaptiveAvgPool2d(child.output_size))
                replaced += 1
    return replaced

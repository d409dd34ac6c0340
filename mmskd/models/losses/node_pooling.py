# Copyright (c) mmskd contributors. All rights reserved.
"""The nodes of an affinity graph: pooled, L2-normalised patches."""
from typing import Sequence, Tuple, Union

import torch.nn.functional as F
from torch import Tensor

from .utils import validate_choice

POOL_TYPES = ('avg', 'max')


def _is_positive_int(value: object) -> bool:
    """Whether ``value`` is an int >= 1.

    bool is an int subclass, but True as a size is surely a config mistake.

    Args:
        value (object): The value to check.

    Returns:
        bool: True for a positive, non-bool int.
    """
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _to_node_size(node_size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    """Turn a node size into a validated (height, width) pair.

    Args:
        node_size (int | Sequence[int]): A side length, or (h, w).

    Returns:
        Tuple[int, int]: The node height and width.

    Raises:
        ValueError: If it is not one or two positive integers.
    """
    if isinstance(node_size, int):
        sizes = (node_size, node_size)
    elif isinstance(node_size, Sequence) and len(node_size) == 2:
        sizes = tuple(node_size)
    else:
        sizes = ()
    if len(sizes) == 2 and all(_is_positive_int(size) for size in sizes):
        return sizes
    raise ValueError('node_size must be a positive int or a pair of positive '
                     f'ints (h, w), but got {node_size!r}.')


def pool_nodes(feats: Tensor, node_size: Tuple[int, int], pool: str) -> Tensor:
    """Aggregate patches of a feature map into L2-normalised node features.

    Patches are ``node_size`` pixels, pooled with kernel = stride =
    ``node_size`` and ``ceil_mode=True`` so that border pixels of a map whose
    size is not a multiple of ``node_size`` still form (smaller) nodes.
    Average pooling divides such a border patch by the number of real pixels
    it covers, not by the full kernel area: there is no explicit padding, so
    PyTorch's ``count_include_pad`` has nothing to include, and ``False`` is
    passed to state the intent. Either divisor would only rescale the node,
    which the L2 normalisation removes, so the loss does not depend on it.
    Max pooling likewise only sees real pixels (no zero padding that could
    beat all-negative features).

    Args:
        feats (Tensor): Features of shape (N, C, H, W).
        node_size (Tuple[int, int]): Patch height and width.
        pool (str): 'avg' or 'max'.

    Returns:
        Tensor: Node features of shape (N, C, ceil(H / h), ceil(W / w)), each
        of unit L2 norm over channels (or zero if the pooled vector is zero,
        so that its affinities are 0 rather than NaN).
    """
    if node_size != (1, 1):
        if pool == 'avg':
            feats = F.avg_pool2d(
                feats,
                node_size,
                stride=node_size,
                ceil_mode=True,
                count_include_pad=False)
        else:
            feats = F.max_pool2d(
                feats, node_size, stride=node_size, ceil_mode=True)
    return F.normalize(feats, p=2, dim=1)


class NodePooling:
    """Validated node options and the pooling they describe.

    The affinity terms (pair-wise, pair-wise-frame, multi-frame) all cut a
    map into nodes of ``node_size`` pixels before comparing positions; this
    holds the checked options and applies
    :func:`pool_nodes`.

    Args:
        node_size (int | Sequence[int]): Patch size (h, w) of a node, or one
            int for square patches.
        pool (str): 'avg' or 'max'.

    Raises:
        ValueError: For an unknown pool or an invalid node size.
    """

    def __init__(self, node_size: Union[int, Sequence[int]],
                 pool: str) -> None:
        self.pool = validate_choice(pool, POOL_TYPES, 'pool')
        self.node_size = _to_node_size(node_size)

    def __call__(self, feats: Tensor) -> Tensor:
        """Pool a map into unit-norm nodes.

        Args:
            feats (Tensor): A map of shape (N, C, H, W).

        Returns:
            Tensor: Nodes of shape (N, C, ceil(H / h), ceil(W / w)).
        """
        return pool_nodes(feats, self.node_size, self.pool)

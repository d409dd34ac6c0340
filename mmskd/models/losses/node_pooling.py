# Copyright (c) mmskd contributors. All rights reserved.
"""The nodes of an affinity graph: pooled, L2-normalised patches."""
from typing import Sequence, Union

from torch import Tensor

from .pair_wise_affinity_loss import POOL_TYPES, _to_node_size, pool_nodes
from .utils import validate_choice


class NodePooling:
    """Validated node options and the pooling they describe.

    The affinity terms (pair-wise, pair-wise-frame, multi-frame) all cut a
    map into nodes of ``node_size`` pixels before comparing positions; this
    holds the checked options and applies
    :func:`~mmskd.models.losses.pair_wise_affinity_loss.pool_nodes`.

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

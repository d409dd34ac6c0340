# Copyright (c) mmskd contributors. All rights reserved.
"""What the structured terms compare, as maps one can draw.

- :func:`affinity_row`: one row of the pair-wise term's affinity graph (the
  cosine similarity of one node to every node), on the nodes the term
  builds (:func:`~mmskd.models.losses.node_pooling.pool_nodes`);
- :func:`channel_distributions` and :func:`channel_divergences`: the
  channel-wise term's per-channel spatial softmax and the KL divergence of
  the student's from the teacher's, channel by channel;
- :func:`disagreement`: where two label maps differ.

The functions take one sample (no batch axis) and return tensors on the
input's device.
"""
from typing import Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from mmskd.models.losses.node_pooling import pool_nodes


def node_of(pixel: Sequence[float], image_size: Sequence[int],
            grid_size: Sequence[int]) -> Tuple[int, int]:
    """The node (row, column) of a grid that covers an image pixel.

    The grid spans the whole image, whatever its resolution (a map at 1/8
    of the input, pooled into nodes), so the pixel is placed by its
    fraction of the image size.

    Args:
        pixel (Sequence[float]): (y, x) in image coordinates.
        image_size (Sequence[int]): (height, width) of the image.
        grid_size (Sequence[int]): (rows, columns) of the grid.

    Returns:
        tuple: (row, column) of the node, clipped into the grid.
    """
    return tuple(
        min(max(int(p / size * cells), 0), cells - 1)
        for p, size, cells in zip(pixel, image_size, grid_size))


def affinity_row(feats: Tensor,
                 node: Sequence[int],
                 node_size: Sequence[int] = (1, 1),
                 pool: str = 'avg') -> Tensor:
    """Affinities of one node to all nodes: a row of the pair-wise graph.

    Args:
        feats (Tensor): One feature map, (C, H, W).
        node (Sequence[int]): (row, column) of the node on the node grid
            (see :func:`node_of`).
        node_size (Sequence[int]): (h, w) pixels per node, as the term's
            ``node_size``. Defaults to (1, 1).
        pool (str): ``'avg'`` or ``'max'``, as the term's ``pool``.
            Defaults to ``'avg'``.

    Returns:
        Tensor: (ceil(H / h), ceil(W / w)) cosine similarities in [-1, 1];
        1 at ``node`` itself unless its feature is zero.
    """
    nodes = pool_nodes(feats[None].float(), tuple(node_size), pool)[0]
    anchor = nodes[:, node[0], node[1]]
    return torch.einsum('chw,c->hw', nodes, anchor)


def channel_distributions(maps: Tensor, channels: Sequence[int],
                          tau: float = 1.0) -> Tensor:
    """Spatial softmax of some channels, as the channel-wise term sees them.

    Args:
        maps (Tensor): One map, (C, H, W).
        channels (Sequence[int]): The channels to keep.
        tau (float): The term's temperature. Defaults to 1.0.

    Returns:
        Tensor: (len(channels), H, W); each channel sums to 1.
    """
    picked = maps[list(channels)].float() / tau
    return F.softmax(picked.flatten(1), dim=1).view_as(picked)


def channel_divergences(student: Tensor, teacher: Tensor,
                        channels: Sequence[int],
                        tau: float = 1.0) -> Tensor:
    """tau² · KL(teacher ‖ student) of each channel's spatial softmax.

    Over all channels, the mean of these values times ``loss_weight`` is
    :class:`~mmskd.models.losses.ChannelWiseDivergence` of the sample.

    Args:
        student (Tensor): The student's map, (C, H, W).
        teacher (Tensor): The teacher's map, (C, H, W).
        channels (Sequence[int]): The channels to compare.
        tau (float): The term's temperature. Defaults to 1.0.

    Returns:
        Tensor: (len(channels), ) divergences.
    """
    picked = list(channels)
    log_S = F.log_softmax(student[picked].float().flatten(1) / tau, dim=1)
    log_T = F.log_softmax(teacher[picked].float().flatten(1) / tau, dim=1)
    return tau**2 * (log_T.exp() * (log_T - log_S)).sum(dim=1)


def top_channels(maps: Tensor, count: int) -> Tuple[int, ...]:
    """The ``count`` channels of largest mean value (e.g. of the teacher).

    On a score map these are the classes the teacher sees most of; on a
    feature map its most active channels.

    Args:
        maps (Tensor): One map, (C, H, W).
        count (int): How many channels.

    Returns:
        tuple: Channel indices, largest mean first.
    """
    means = maps.float().mean(dim=(1, 2))
    count = min(count, means.numel())
    return tuple(int(i) for i in means.topk(count).indices)


def disagreement(first: Tensor, second: Tensor) -> Tensor:
    """Where two label maps differ.

    Args:
        first (Tensor): Labels, (H, W).
        second (Tensor): Labels, (H, W).

    Returns:
        Tensor: A bool mask, (H, W).
    """
    return first != second

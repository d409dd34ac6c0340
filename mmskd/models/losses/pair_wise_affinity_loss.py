# Copyright (c) mmskd contributors. All rights reserved.
from typing import Iterator, Optional, Sequence, Tuple, Union

from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .node_pooling import (POOL_TYPES, _is_positive_int, _to_node_size,
                           pool_nodes)
from .utils import check_pair, validate_choice


def _validate_connection_range(
        connection_range: Optional[int]) -> Optional[int]:
    """Check that a connection range is None or a positive integer.

    Args:
        connection_range (int, optional): The Chebyshev radius r.

    Returns:
        int, optional: ``connection_range`` unchanged.

    Raises:
        ValueError: If it is neither None nor an int >= 1. r = 0 would only
            connect each node to itself, whose affinity is always 1, so the
            loss would silently be zero.
    """
    if connection_range is None:
        return None
    if _is_positive_int(connection_range):
        return connection_range
    raise ValueError('connection_range must be None (fully connected graph) '
                     'or an int >= 1 (Chebyshev radius), but got '
                     f'{connection_range!r}.')


def global_affinity_loss(nodes_S: Tensor, nodes_T: Tensor) -> Tensor:
    """Mean squared affinity difference over all ordered node pairs.

    With node matrices S (Cs x n) and T (Ct x n) of one sample, the affinity
    matrices are SᵀS and TᵀT (n x n), and

        ‖SᵀS − TᵀT‖² = ‖SSᵀ‖² + ‖TTᵀ‖² − 2‖STᵀ‖²

    (Frobenius norms; ⟨SᵀS, TᵀT⟩ = tr(SᵀS TᵀT) = ‖STᵀ‖²). The right side
    only needs C x C Gram matrices, so memory is O(C²) instead of O(n²),
    e.g. 64 x 64 instead of 65,536 x 65,536 for a 256 x 256 map.

    Args:
        nodes_S (Tensor): Student nodes of shape (N, Cs, h, w).
        nodes_T (Tensor): Teacher nodes of shape (N, Ct, h, w).

    Returns:
        Tensor: The scalar loss, averaged over the batch and the n² pairs.
    """
    mat_S = nodes_S.flatten(2)
    mat_T = nodes_T.flatten(2)
    num_nodes = mat_S.shape[-1]
    sq_norm_SS = _gram_sq_norm(mat_S, mat_S)
    sq_norm_TT = _gram_sq_norm(mat_T, mat_T)
    sq_norm_ST = _gram_sq_norm(mat_S, mat_T)
    sq_diff = sq_norm_SS + sq_norm_TT - 2 * sq_norm_ST
    # The identity is exact, but the three terms are O(n²) each and nearly
    # cancel. In float32 this leaves an absolute error of about 1e-8 on the
    # loss at 65,536 nodes (negligible next to real loss values), and can
    # leave a tiny negative value for equal inputs.
    sq_diff = sq_diff.clamp(min=0)
    return sq_diff.mean() / num_nodes**2


def _gram_sq_norm(mat_A: Tensor, mat_B: Tensor) -> Tensor:
    """Squared Frobenius norm of A Bᵀ for each sample.

    Args:
        mat_A (Tensor): Shape (N, Ca, n).
        mat_B (Tensor): Shape (N, Cb, n).

    Returns:
        Tensor: Shape (N,).
    """
    return mat_A.bmm(mat_B.transpose(1, 2)).square().sum(dim=(1, 2))


def local_affinity_loss(nodes_S: Tensor, nodes_T: Tensor,
                        connection_range: int) -> Tensor:
    """Mean squared affinity difference over a local graph.

    Each node is connected to the nodes within Chebyshev distance
    ``connection_range`` (itself included) that lie inside the map, i.e. up
    to (2r+1)² neighbours; pairs that would fall outside the map are neither
    computed nor counted. Instead of an n x n matrix, the maps are shifted by
    each offset and the affinities of all pairs at that offset are computed
    at once, so memory stays that of one feature map.

    Args:
        nodes_S (Tensor): Student nodes of shape (N, Cs, h, w).
        nodes_T (Tensor): Teacher nodes of shape (N, Ct, h, w).
        connection_range (int): The Chebyshev radius r >= 1.

    Returns:
        Tensor: The scalar loss, averaged over the batch and the ordered
        connected pairs.
    """
    height, width = nodes_S.shape[-2:]
    sq_diff_sum = nodes_S.new_zeros(())
    num_pairs = 0
    for (dy, dx), multiplicity in _half_offsets(connection_range):
        rows = _overlap(height, dy)
        cols = _overlap(width, dx)
        if rows is None or cols is None:
            continue  # Offset larger than the map: no such pair exists.
        aff_S = _shifted_affinity(nodes_S, rows, cols)
        aff_T = _shifted_affinity(nodes_T, rows, cols)
        offset_sq_diff = (aff_S - aff_T).square().sum()
        sq_diff_sum = sq_diff_sum + multiplicity * offset_sq_diff
        num_pairs += multiplicity * aff_S[0].numel()
    return sq_diff_sum / (nodes_S.shape[0] * num_pairs)


def _half_offsets(radius: int) -> Iterator[Tuple[Tuple[int, int], int]]:
    """Offsets of a (2r+1)² window, one of each ±(dy, dx) pair.

    a_ij = a_ji, so the pairs at offset d and at -d carry the same squared
    differences; each is computed once and counted twice, halving the work.

    Args:
        radius (int): The Chebyshev radius r.

    Yields:
        Tuple[Tuple[int, int], int]: The offset (dy, dx) and how many
        offsets of the full window it stands for (1 for (0, 0), else 2).
    """
    yield (0, 0), 1
    for dy in range(0, radius + 1):
        for dx in range(-radius, radius + 1):
            if dy > 0 or dx > 0:
                yield (dy, dx), 2


def _overlap(size: int, shift: int) -> Optional[Tuple[slice, slice]]:
    """Slices pairing position p with position p + shift along one axis.

    Args:
        size (int): The axis length.
        shift (int): The offset of the second position.

    Returns:
        Tuple[slice, slice], optional: Slices for the first and the second
        position of every valid pair, or None if no pair fits in the axis.
    """
    if abs(shift) >= size:
        return None
    if shift >= 0:
        return slice(0, size - shift), slice(shift, size)
    return slice(-shift, size), slice(0, size + shift)


def _shifted_affinity(nodes: Tensor, rows: Tuple[slice, slice],
                      cols: Tuple[slice, slice]) -> Tensor:
    """Cosine similarities between nodes and their shifted neighbours.

    Args:
        nodes (Tensor): Unit-norm nodes of shape (N, C, h, w).
        rows (Tuple[slice, slice]): Row slices of the two ends of each pair.
        cols (Tuple[slice, slice]): Column slices of the two ends.

    Returns:
        Tensor: Affinities of shape (N, h', w') for the pairs in the overlap.
    """
    first = nodes[:, :, rows[0], cols[0]]
    second = nodes[:, :, rows[1], cols[1]]
    return (first * second).sum(dim=1)


@MODELS.register_module()
class PairWiseAffinityLoss(BaseDistillLoss):
    """Pair-wise distillation (PA) of structured knowledge distillation.

    `Structured Knowledge Distillation for Dense Prediction
    <https://arxiv.org/abs/1903.04197>`_, Eq. (2) of the journal version.
    Feature maps are cut into nodes of ``node_size`` pixels, each node's
    feature is the pooled patch, and a_ij is the cosine similarity of nodes
    i and j. The student's affinity graph is pulled towards the teacher's:

    .. math::
        \\ell_{pa} = w \\cdot \\frac{1}{N |E|} \\sum_{n}
        \\sum_{(i, j) \\in E} (a^S_{ij} - a^T_{ij})^2

    where E is the set of ordered connected pairs (i = j included). Because
    only cosine similarities are compared, the student and teacher channel
    counts may differ and no connector is needed.

    Neither graph builds the n x n affinity matrix: the fully connected
    graph uses C x C Gram matrices (exact, O(C²) memory), and the local graph
    visits the (2r+1)² neighbour offsets with shifted maps.

    Args:
        node_size (int | Sequence[int]): Patch size (h, w) of a node, or one
            int for square patches. 1 is the pixel graph of the conference
            paper; 2 (2 x 2 patches) is the thesis default. Maps whose size
            is not a multiple of it get smaller border nodes (see
            :func:`pool_nodes`). Defaults to 1.
        connection_range (int, optional): None connects every node to every
            node. An int r connects each node to the nodes within Chebyshev
            distance r (the paper's α = (2r+1)²), only counting neighbours
            inside the map. Defaults to None.
        pool (str): How a patch becomes a node: 'avg' (as in the paper) or
            'max' (as in the official code, whose patch size is half the
            feature map). Defaults to 'avg'.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): Whether to bilinearly resize student features
            whose spatial size differs from the teacher's before pooling. If
            False, such a mismatch raises a ValueError unless
            ``match_node_grids``. Defaults to False.
        match_node_grids (bool): For maps of two sizes (a student at its own
            resolution): ``node_size`` is the teacher's node, and the
            student's node covers the same image area, ``node_size`` times
            the ratio of the maps' sizes, so both graphs have one node
            count and no map is resampled. That node must be whole pixels.
            Defaults to False.
    """

    def __init__(self,
                 node_size: Union[int, Sequence[int]] = 1,
                 connection_range: Optional[int] = None,
                 pool: str = 'avg',
                 loss_weight: float = 1.0,
                 resize_student: bool = False,
                 match_node_grids: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        if resize_student and match_node_grids:
            raise ValueError(
                'PairWiseAffinityLoss aligns maps of two sizes either by '
                'resizing the student map (resize_student) or by matching '
                'the node grids (match_node_grids); set one of them.')
        self.pool = validate_choice(pool, POOL_TYPES, 'pool')
        self.node_size = _to_node_size(node_size)
        self.connection_range = _validate_connection_range(connection_range)
        self.match_node_grids = bool(match_node_grids)

    def prepared_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The unweighted loss, on node grids of one count if asked for.

        Args:
            preds_S (Tensor): Student features, (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher features, (N, Ct, H, W).

        Returns:
            Tensor: The unweighted loss.
        """
        if not self.match_node_grids or \
                preds_S.shape[-2:] == preds_T.shape[-2:]:
            return super().prepared_loss(preds_S, preds_T)
        check_pair(preds_S, preds_T, type(self).__name__)
        node_S = self.student_node_size(preds_S.shape[-2:], preds_T.shape[-2:])
        return self.graph_loss(
            pool_nodes(preds_S.float(), node_S, self.pool),
            pool_nodes(preds_T.detach().float(), self.node_size, self.pool))

    def student_node_size(self, size_S: Sequence[int],
                          size_T: Sequence[int]) -> Tuple[int, int]:
        """The student's node: the teacher's, scaled by the maps' ratio.

        Args:
            size_S (Sequence[int]): The student map's (H, W).
            size_T (Sequence[int]): The teacher map's (H, W).

        Returns:
            tuple[int, int]: The student's node (h, w) in pixels.

        Raises:
            ValueError: If it is not whole pixels.
        """
        sides = [
            node * side_S / side_T
            for node, side_S, side_T in zip(self.node_size, size_S, size_T)
        ]
        if all(side >= 1 and side == int(side) for side in sides):
            return tuple(int(side) for side in sides)
        raise ValueError(
            f'PairWiseAffinityLoss (match_node_grids): a {size_T[0]}x'
            f'{size_T[1]} teacher map with {self.node_size[0]}x'
            f'{self.node_size[1]}-pixel nodes needs {sides[0]:g}x'
            f'{sides[1]:g}-pixel nodes on the {size_S[0]}x{size_S[1]} '
            'student map, which are not whole pixels. Choose a node_size '
            "that the maps' ratio turns into whole student pixels (e.g. "
            'node_size=2 for a student at half resolution), or scales whose '
            'ratio does.')

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The unweighted pair-wise affinity loss.

        Args:
            preds_S (Tensor): float32 student features, (N, Cs, H, W),
                resized to the teacher's size before pooling if
                ``resize_student``.
            preds_T (Tensor): Detached float32 teacher features,
                (N, Ct, H, W).

        Returns:
            Tensor: The mean squared affinity difference over the graph.
        """
        return self.graph_loss(
            pool_nodes(preds_S, self.node_size, self.pool),
            pool_nodes(preds_T, self.node_size, self.pool))

    def graph_loss(self, nodes_S: Tensor, nodes_T: Tensor) -> Tensor:
        """The mean squared affinity difference of two node grids.

        Args:
            nodes_S (Tensor): Student nodes, (N, Cs, h, w).
            nodes_T (Tensor): Teacher nodes, (N, Ct, h, w).

        Returns:
            Tensor: The unweighted loss over the graph.
        """
        if self._is_fully_connected(nodes_S.shape[-2:]):
            return global_affinity_loss(nodes_S, nodes_T)
        return local_affinity_loss(nodes_S, nodes_T, self.connection_range)

    def _is_fully_connected(self, grid_size: Tuple[int, int]) -> bool:
        """Whether every node reaches every other node on this node grid.

        A radius of at least max(h, w) - 1 covers the whole grid, and the
        Gram-matrix path then gives the same value far more cheaply.

        Args:
            grid_size (Tuple[int, int]): The node grid (h, w).

        Returns:
            bool: True if the graph is complete.
        """
        if self.connection_range is None:
            return True
        return self.connection_range >= max(grid_size) - 1

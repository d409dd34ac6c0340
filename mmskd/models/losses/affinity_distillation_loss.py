# Copyright (c) mmskd contributors. All rights reserved.
"""The affinity distillation loss of knowledge adaptation (L_aff, Eqs. (3)
and (4))."""
import torch
from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .unit_vectors import unit_vectors
from .utils import validate_choice

REDUCTIONS = ('l2', 'squared')
# Squared row distances at or below this count as 0 in the 'l2' reduction.
# Each of the three float64 terms of a row is up to m, and their rounding is
# of order 1e-12 for grids of a few thousand positions: the square root of
# a smaller value would be noise, and sqrt has no finite gradient at 0.
ROW_SQ_EPS = 1e-10


def row_affinity_sq_distances(nodes_S: Tensor, nodes_T: Tensor) -> Tensor:
    """‖A_i(S) − A_i(T)‖² for every row i, without the m x m matrices.

    With unit columns s_j of S (C_s x m), row i of A(S) = SᵀS is s_iᵀS, and

        ‖s_iᵀS − t_iᵀT‖² = s_iᵀ(SSᵀ)s_i + t_iᵀ(TTᵀ)t_i − 2 s_iᵀ(STᵀ)t_i,

    since Σ_j (s_iᵀs_j)(t_iᵀt_j) = s_iᵀ(Σ_j s_j t_jᵀ)t_i. Only the C x C
    Gram matrices are formed: O(m·C²) time and O(C² + m·C) memory instead
    of O(m²·C) and O(m²), e.g. 512 x 512 instead of 2048 x 2048 per sample
    for a 32 x 64 grid.

    Args:
        nodes_S (Tensor): Unit (or zero) student vectors, (N, C_s, m).
        nodes_T (Tensor): Unit (or zero) teacher vectors, (N, C_t, m).

    Returns:
        Tensor: Shape (N, m), clamped at 0 (the identity is exact, the
        rounding of its three terms is not).
    """
    gram_SS = nodes_S.bmm(nodes_S.transpose(1, 2))
    gram_TT = nodes_T.bmm(nodes_T.transpose(1, 2))
    gram_ST = nodes_S.bmm(nodes_T.transpose(1, 2))
    row_SS = (nodes_S * gram_SS.bmm(nodes_S)).sum(dim=1)
    row_TT = (nodes_T * gram_TT.bmm(nodes_T)).sum(dim=1)
    row_ST = (nodes_S * gram_ST.bmm(nodes_T)).sum(dim=1)
    return (row_SS + row_TT - 2 * row_ST).clamp(min=0)


@MODELS.register_module()
class AffinityDistillationLoss(BaseDistillLoss):
    """Match the student's position affinities to the translated teacher's.

    `Knowledge Adaptation for Efficient Semantic Segmentation
    <https://arxiv.org/abs/1903.04688>`_ (He et al., CVPR 2019). Eq. (3):
    for a map φ of h x w positions (m = h·w) the affinity matrix has the
    cosine similarity of the C-vectors of positions i and j,

    .. math::
        A_{ij}(φ) = \\frac{φ_i^\\top φ_j}{\\|φ_i\\|_2 \\|φ_j\\|_2},
        \\quad i, j \\in \\{1..m\\},

    an m x m matrix over positions ("interactions between any two
    positions"); torchdistill's per-channel matrices are not this. Eq. (4)
    compares the rows of the translated teacher's and the adapted student's
    matrices, ``preds_T`` = E(φ_t) and ``preds_S`` = C_a(φ_s):

    .. math::
        L_{aff} = w \\cdot \\frac{1}{N m} \\sum_n \\sum_{i=1}^m
        \\| A_i(E(φ_t)) - A_i(C_a(φ_s)) \\|_2

    The paper says "ℓ2 loss"; ``reduction='l2'`` (the default) is that norm
    of each row, ``'squared'`` its square (a mean squared error times m).
    Neither builds an m x m matrix (:func:`row_affinity_sq_distances`); the
    sums run in float64 so that the square root of a small row distance is
    not rounding noise. ``scale_by_positions=True`` uses A / m, the
    normalisation the reading note and torchdistill apply, which divides
    the loss by m ('l2') or m² ('squared').

    The two maps must share the grid; their channel counts may differ.

    Args:
        reduction (str): ``'l2'`` or ``'squared'``. Defaults to ``'l2'``.
        scale_by_positions (bool): Divide the affinities by m. Defaults to
            False.
        loss_weight (float): w (the paper's 1). Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def __init__(self,
                 reduction: str = 'l2',
                 scale_by_positions: bool = False,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.reduction = validate_choice(reduction, REDUCTIONS, 'reduction')
        self.scale_by_positions = bool(scale_by_positions)

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The unweighted affinity distillation loss.

        Args:
            preds_S (Tensor): float32 C_a(φ_s), shape (N, C_s, h, w).
            preds_T (Tensor): Detached float32 E(φ_t), (N, C_t, h, w).

        Returns:
            Tensor: The scalar float32 loss.
        """
        nodes_S = unit_vectors(preds_S.double()).flatten(2)
        nodes_T = unit_vectors(preds_T.double()).flatten(2)
        num_positions = nodes_S.shape[-1]
        row_sq = row_affinity_sq_distances(nodes_S, nodes_T)
        if self.reduction == 'squared':
            loss = row_sq.mean()
            scale = num_positions**2
        else:
            # sqrt only where it has a finite gradient; rows this close to
            # the teacher's contribute 0 (see ROW_SQ_EPS).
            above = row_sq > ROW_SQ_EPS
            rows = torch.where(above,
                               row_sq.clamp(min=ROW_SQ_EPS).sqrt(),
                               torch.zeros_like(row_sq))
            loss = rows.mean()
            scale = num_positions
        if self.scale_by_positions:
            loss = loss / scale
        return loss.float()

# Copyright (c) mmskd contributors. All rights reserved.
from typing import Sequence, Union

import torch
from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .node_pooling import NodePooling


def cross_frame_affinity_loss(nodes_S_t: Tensor, nodes_S_tk: Tensor,
                              nodes_T_t: Tensor, nodes_T_tk: Tensor) -> Tensor:
    """Mean squared difference of two cross-frame affinity matrices.

    With unit-norm node matrices S_t, S_k (Cs x n) and T_t, T_k (Ct x n) of
    one sample, the cross-frame affinities are A^S = S_tᵀ S_k and
    A^T = T_tᵀ T_k (n x n, a_ij = similarity of node i of frame t and node
    j of frame t+k). Stacking P = [S_t; T_t] and Q = [S_k; -T_k] gives
    PᵀQ = A^S - A^T, and

        ‖PᵀQ‖² = tr(QᵀP PᵀQ) = ⟨P Pᵀ, Q Qᵀ⟩

    (Frobenius inner product), so only the (Cs + Ct)² Gram matrices of P
    and Q are built: O(C²) memory instead of O(n²). Expanded, this is
    ⟨S_tS_tᵀ, S_kS_kᵀ⟩ + ⟨T_tT_tᵀ, T_kT_kᵀ⟩ - 2⟨S_tT_tᵀ, S_kT_kᵀ⟩, the
    cross-frame form of the pair-wise term's ‖SSᵀ‖² + ‖TTᵀ‖² - 2‖STᵀ‖²
    (``global_affinity_loss`` of the pair-wise module), which it equals for
    S_k = S_t and T_k = T_t. That module's ``_gram_sq_norm(A, B)`` gives
    ‖ABᵀ‖², the squared norm of one C x C Gram matrix; with two frames each
    term pairs two different Gram matrices, so it is not reused.

    Args:
        nodes_S_t (Tensor): Student nodes of frame t, (N, Cs, h, w).
        nodes_S_tk (Tensor): Student nodes of frame t+k, (N, Cs, h, w).
        nodes_T_t (Tensor): Teacher nodes of frame t, (N, Ct, h, w).
        nodes_T_tk (Tensor): Teacher nodes of frame t+k, (N, Ct, h, w).

    Returns:
        Tensor: The scalar loss, averaged over the batch and the n² pairs.
    """
    mat_P = torch.cat([nodes_S_t, nodes_T_t], dim=1).flatten(2)
    mat_Q = torch.cat([nodes_S_tk, -nodes_T_tk], dim=1).flatten(2)
    gram_P = mat_P.bmm(mat_P.transpose(1, 2))
    gram_Q = mat_Q.bmm(mat_Q.transpose(1, 2))
    sq_diff = (gram_P * gram_Q).sum(dim=(1, 2))
    # Exact, but the expanded terms are O(n²) each and nearly cancel; in
    # float32 rounding can leave a tiny negative value for equal maps.
    sq_diff = sq_diff.clamp(min=0)
    return sq_diff.mean() / mat_P.shape[-1]**2


@MODELS.register_module()
class PairWiseFrameAffinityLoss(BaseDistillLoss):
    """Pair-wise-frame dependency distillation (PF) of ch. 5 of the thesis.

    `Efficient Semantic Video Segmentation with Per-frame Inference
    <https://arxiv.org/abs/2002.11433>`_ (ECCV 2020), eq. (2); thesis
    eq. (5.2), lines 1671-1679. The AT operator gives the cosine similarity
    a_ij between position i of frame t and position j of frame t+k of the
    segmentation maps (class probabilities); the student's cross-frame
    affinities are pulled towards the teacher's:

    .. math::
        \\ell_{PF} = w \\cdot \\frac{1}{B N^2} \\sum_b \\sum_{i, j}
        (a^S_{ij} - a^T_{ij})^2

    If a pixel at i in frame t moves to j in frame t+k, a_ij is high, so
    the affinities carry the motion between the frames. The N x N matrices
    are never built (see :func:`cross_frame_affinity_loss`). Only cosine
    similarities are compared, so the class (or channel) counts of student
    and teacher may differ.

    Args:
        softmax (bool): Take the cosine similarities of class probabilities
            (softmax over channels), as the thesis does; False uses the maps
            as given (the official code uses logits). Defaults to True.
        node_size (int | Sequence[int]): Average-pool patches of this size
            into nodes first, as the pair-wise term's β (see
            :func:`~mmskd.models.losses.node_pooling.pool_nodes`),
            to coarsen the graph. 1 is the thesis's per-position graph.
            Defaults to 1.
        pool (str): 'avg' or 'max' patch pooling. Defaults to 'avg'.
        loss_weight (float): Weight w of the loss. Defaults to 1.0.
        resize_student (bool): Bilinearly resize student maps whose size
            differs from the teacher's (before the softmax); otherwise a
            mismatch raises a ValueError. Defaults to False.
    """

    def __init__(self,
                 softmax: bool = True,
                 node_size: Union[int, Sequence[int]] = 1,
                 pool: str = 'avg',
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.softmax = bool(softmax)
        self.nodes = NodePooling(node_size, pool)

    def forward(self, preds_S_t: Tensor, preds_S_tk: Tensor, preds_T_t: Tensor,
                preds_T_tk: Tensor) -> Tensor:
        """Compute the weighted pair-wise-frame loss of a batch of pairs.

        Args:
            preds_S_t (Tensor): Student maps of frame t, (B, Cs, Hs, Ws).
            preds_S_tk (Tensor): Student maps of frame t+k, same shape.
            preds_T_t (Tensor): Teacher maps of frame t, (B, Ct, H, W).
                Detached: no gradient reaches the teacher.
            preds_T_tk (Tensor): Teacher maps of frame t+k, same shape.

        Returns:
            Tensor: The scalar float32 loss.

        Raises:
            ValueError: If the two frames' maps differ in shape, or student
                and teacher maps do not fit (see ``resize_student``).
        """
        name = type(self).__name__
        for role, first, second in (('student', preds_S_t, preds_S_tk),
                                    ('teacher', preds_T_t, preds_T_tk)):
            if first.shape != second.shape:
                raise ValueError(
                    f'{name}: the {role} maps of frames t and t+k must have '
                    f'one shape, but have {tuple(first.shape)} and '
                    f'{tuple(second.shape)}.')
        return self.weighted(self.frames_loss, preds_S_t, preds_S_tk,
                             preds_T_t, preds_T_tk)

    def frames_loss(self, preds_S_t: Tensor, preds_S_tk: Tensor,
                    preds_T_t: Tensor, preds_T_tk: Tensor) -> Tensor:
        """The unweighted loss; prepares each frame's pair, then compares.

        Args:
            preds_S_t, preds_S_tk, preds_T_t, preds_T_tk (Tensor): The maps
                of :meth:`forward`.

        Returns:
            Tensor: The mean squared cross-frame affinity difference.
        """
        node_maps = []
        for preds_S, preds_T in ((preds_S_t, preds_T_t), (preds_S_tk,
                                                          preds_T_tk)):
            for preds in self.prepare(preds_S, preds_T):
                if self.softmax:
                    preds = preds.softmax(dim=1)
                node_maps.append(self.nodes(preds))
        nodes_S_t, nodes_T_t, nodes_S_tk, nodes_T_tk = node_maps
        return cross_frame_affinity_loss(nodes_S_t, nodes_S_tk, nodes_T_t,
                                         nodes_T_tk)

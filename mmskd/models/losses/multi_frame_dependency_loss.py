# Copyright (c) mmskd contributors. All rights reserved.
from typing import Optional, Sequence, Union

import torch
from torch import Tensor

from mmskd.registry import MODELS
from ..layers import ConvLSTM
from .base_distill_loss import BaseDistillLoss
from .node_pooling import NodePooling
from .utils import validate_choice

REDUCTIONS = ('mean', 'sum')


def self_similarity(nodes: Tensor) -> Tensor:
    """The AT operator of a map with itself, as a 1-channel image.

    Args:
        nodes (Tensor): Unit-norm node features of shape (N, C, h, w).

    Returns:
        Tensor: Cosine similarities of shape (N, 1, n, n), n = h * w, with
        entry (i, j) the similarity of nodes i and j (row-major order).
    """
    mat = nodes.flatten(2)
    return mat.transpose(1, 2).bmm(mat).unsqueeze(1)


@MODELS.register_module()
class MultiFrameDependencyLoss(BaseDistillLoss):
    """Multi-frame dependency distillation (MF) of ch. 5 of the thesis.

    `Efficient Semantic Video Segmentation with Per-frame Inference
    <https://arxiv.org/abs/2002.11433>`_ (ECCV 2020), Sec. 3.2; thesis
    lines 1681-1687. For each frame t of a sequence, the features F_t of
    the last block before the classifier give the self-similarity map
    A_{F_t, F_t} (cosine similarities of all node pairs: independent of the
    channel count, so student and teacher channels need not match). A
    ConvLSTM runs over the sequence of maps (each a 1-channel n x n image)
    and its last output E is matched between teacher and student:

    .. math::
        \\ell_{MF} = w \\cdot \\big( \\mathrm{red}((E^T - E^S)^2)
        + \\lambda_e \\cdot \\mathrm{mean}(1 - E^T) \\big)

    The thesis calls E ∈ R^{1 x D_e} an embedding; a ConvLSTM's output is
    its hidden state after the last frame (hidden_channels x n x n), which
    is what is matched here (D_e = its size). One ConvLSTM, held by this
    loss and so trained with the student, encodes both sequences (in one
    batched pass): shared weights, as the thesis says. The teacher features are
    detached, so the teacher sequence's gradient only reaches the ConvLSTM.

    Collapse fix (thesis line 1687): with all ConvLSTM weights and biases
    at zero, E^T = E^S = 0 and the loss is 0 for any student. The thesis
    (i) enlarges E^T as a regulariser: the term mean(1 - E^T) with weight
    λ_e (``enlarge_weight``; the official code's variant returns
    mean(1 - h^T)); since h ∈ (-1, 1) it lies in (0, 2) and is 1 at the
    collapse point, so collapse is no longer a minimum; and (ii) clips the
    ConvLSTM weights to a range, which keeps (i) from growing them without
    bound. Here (ii) clamps every ConvLSTM parameter to
    [-``clip_value``, ``clip_value``] at the start of each training forward,
    so every forward (and its gradient) uses clipped weights, as clipping
    after each optimizer step would. Neither the range nor λ_e is given in
    the thesis: the defaults are guesses to tune.

    Args:
        node_size (int | Sequence[int]): Average-pool patches of this size
            into nodes before the self-similarity, which keeps the n x n map
            small (the official code pools 16 x 16). Defaults to 16.
        pool (str): 'avg' or 'max' patch pooling. Defaults to 'avg'.
        hidden_channels (int): ConvLSTM state channels (the official code
            uses 4). Defaults to 4.
        kernel_size (int): ConvLSTM kernel size. Defaults to 3.
        match_cell (bool): Also match the last cell states c_T, as the
            official code does; the thesis matches E only. Defaults to
            False.
        reduction (str): 'mean' over the elements of E (the official
            code's MSE, independent of the map size) or 'sum' (the
            thesis's squared L2 norm), then the mean over the batch.
            Defaults to 'mean'.
        clip_value (float, optional): Clip range c of the ConvLSTM
            parameters; None disables clipping. Defaults to 1.0.
        enlarge_weight (float): Weight λ_e of the term that enlarges E^T;
            0 disables it. Defaults to 1.0.
        loss_weight (float): Weight w of the whole loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def __init__(self,
                 node_size: Union[int, Sequence[int]] = 16,
                 pool: str = 'avg',
                 hidden_channels: int = 4,
                 kernel_size: int = 3,
                 match_cell: bool = False,
                 reduction: str = 'mean',
                 clip_value: Optional[float] = 1.0,
                 enlarge_weight: float = 1.0,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.reduction = validate_choice(reduction, REDUCTIONS, 'reduction')
        if clip_value is not None and not clip_value > 0:
            raise ValueError('clip_value must be None or a positive number, '
                             f'but got {clip_value!r}.')
        self.nodes = NodePooling(node_size, pool)
        self.conv_lstm = ConvLSTM(1, hidden_channels, kernel_size)
        self.match_cell = bool(match_cell)
        self.clip_value = None if clip_value is None else float(clip_value)
        self.enlarge_weight = float(enlarge_weight)

    def clip_weights(self) -> None:
        """Clamp every ConvLSTM parameter to [-clip_value, clip_value]."""
        if self.clip_value is None:
            return
        with torch.no_grad():
            for param in self.conv_lstm.parameters():
                param.clamp_(-self.clip_value, self.clip_value)

    def forward(self, feats_S: Sequence[Tensor],
                feats_T: Sequence[Tensor]) -> Tensor:
        """Compute the weighted multi-frame loss of a batch of sequences.

        Args:
            feats_S (Sequence[Tensor]): Student features of the T frames in
                temporal order, each (B, Cs, Hs, Ws).
            feats_T (Sequence[Tensor]): Teacher features of the same frames,
                each (B, Ct, H, W). Detached.

        Returns:
            Tensor: The scalar float32 loss.

        Raises:
            ValueError: If the sequences are empty or differ in length, or
                a frame's maps do not fit (see ``resize_student``).
        """
        name = type(self).__name__
        if len(feats_S) == 0 or len(feats_S) != len(feats_T):
            raise ValueError(
                f'{name} needs the student and teacher features of the same '
                f'T >= 1 frames, but got {len(feats_S)} student and '
                f'{len(feats_T)} teacher maps. Record the student and the '
                'teacher on the same clip of frames.')
        if self.training:
            self.clip_weights()
        return self.weighted(self.sequence_loss, feats_S, feats_T)

    def sequence_loss(self, feats_S: Sequence[Tensor],
                      feats_T: Sequence[Tensor]) -> Tensor:
        """The unweighted loss; prepares each frame's pair, then encodes.

        Args:
            feats_S, feats_T (Sequence[Tensor]): The T >= 1 student and
                teacher maps of :meth:`forward`.

        Returns:
            Tensor: The embedding distance plus the enlarging term.
        """
        maps = []
        for feat_S, feat_T in zip(feats_S, feats_T):
            feat_S, feat_T = self.prepare(feat_S, feat_T)
            # Teacher first: chunk(2) below splits the batch back.
            maps.append(
                torch.cat([
                    self_similarity(self.nodes(feat))
                    for feat in (feat_T, feat_S)
                ]))
        _, (hidden, cell) = self.conv_lstm(maps)
        hidden_T, hidden_S = hidden.chunk(2)
        loss = self._distance(hidden_T, hidden_S)
        if self.match_cell:
            cell_T, cell_S = cell.chunk(2)
            loss = loss + self._distance(cell_T, cell_S)
        if self.enlarge_weight:
            loss = loss + self.enlarge_weight * (1 - hidden_T).mean()
        return loss

    def _distance(self, emb_T: Tensor, emb_S: Tensor) -> Tensor:
        """Squared distance of two batches of embeddings, reduced.

        Args:
            emb_T (Tensor): Teacher embeddings of shape (B, D, n, n).
            emb_S (Tensor): Student embeddings of the same shape.

        Returns:
            Tensor: The mean (or per-sample sum, then mean) of the squared
            differences.
        """
        sq_diff = (emb_T - emb_S).square()
        if self.reduction == 'mean':
            return sq_diff.mean()
        return sq_diff.flatten(1).sum(dim=1).mean()

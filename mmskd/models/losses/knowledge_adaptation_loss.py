# Copyright (c) mmskd contributors. All rights reserved.
"""The adaptation loss of knowledge adaptation (L_adapt, Eq. (2))."""
import torch
from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .unit_vectors import unit_vectors
from .utils import validate_choice

NORMALIZATIONS = ('sample', 'position')


@MODELS.register_module()
class KnowledgeAdaptationLoss(BaseDistillLoss):
    """Match the adapted student feature to the teacher's translated code.

    `Knowledge Adaptation for Efficient Semantic Segmentation
    <https://arxiv.org/abs/1903.04688>`_ (He et al., CVPR 2019), Eq. (2):

    .. math::
        L_{adapt} = w \\cdot \\frac{1}{|I|} \\sum_{j \\in I} \\left\\|
        \\frac{E(φ_t)^j}{\\|E(φ_t)\\|_q} - \\frac{C_f(φ_s)^j}
        {\\|C_f(φ_s)\\|_q} \\right\\|_p

    with ``preds_T`` = E(φ_t), the code of the frozen translator, and
    ``preds_S`` = C_f(φ_s), the student's feature adapter output, of the
    same shape. I holds every position of every sample, j is one position,
    and ``‖·‖_p`` runs over its C-vector. The equation is lost from the
    paper's text ("p and q are different normalization types to normalize
    the knowledge for stability"); q = 2 and p = 1 are torchdistill's
    values (and those of Factor Transfer, which the loss resembles).

    ``normalize='sample'`` (the default) divides each sample's whole map by
    its q-norm, as torchdistill and Factor Transfer do; ``'position'``
    divides each position's C-vector by its own q-norm. All-zero maps or
    vectors stay zero (see :func:`unit_vectors`).

    The scale differs from torchdistill's ``KTALoss``, which averages
    |difference| over all N·C·H·W elements: for p = 1 this loss sums over
    the C channels of a position, so it is C times that value (use
    ``loss_weight / C`` for torchdistill's balance).

    Args:
        p (float): The norm of the difference at each position. Defaults
            to 1.
        q (float): The norm that normalises the maps. Defaults to 2.
        normalize (str): ``'sample'`` or ``'position'``. Defaults to
            ``'sample'``.
        loss_weight (float): w (the paper's 50 in mmskd's configs).
            Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def __init__(self,
                 p: float = 1,
                 q: float = 2,
                 normalize: str = 'sample',
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.normalize = validate_choice(normalize, NORMALIZATIONS,
                                         'normalize')
        for name, value in (('p', p), ('q', q)):
            if not value > 0:
                raise ValueError(f'{name} must be a positive norm order, but '
                                 f'got {value!r}.')
        self.p = float(p)
        self.q = float(q)

    def _normalized(self, feats: Tensor) -> Tensor:
        """Divide by the q-norm of each sample or each position."""
        if self.normalize == 'position':
            return unit_vectors(feats, dim=1, ord=self.q)
        flat = unit_vectors(feats.flatten(1), dim=1, ord=self.q)
        return flat.view_as(feats)

    def check_inputs(self, preds_S: Tensor, preds_T: Tensor) -> None:
        """Check that the adapted feature and the code have one width.

        Args:
            preds_S (Tensor): C_f(φ_s), shape (N, Cs, H, W).
            preds_T (Tensor): E(φ_t), shape (N, Ct, H, W).

        Raises:
            ValueError: If Cs differs from Ct, naming the adapter to fix.
        """
        if preds_S.shape[1] != preds_T.shape[1]:
            raise ValueError(
                f'{type(self).__name__} compares the student\'s adapted '
                f'feature ({preds_S.shape[1]} channels) with the teacher\'s '
                f'code ({preds_T.shape[1]} channels) channel by channel; give '
                'the feature adapter the translator\'s width as '
                'out_channel.')

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """The unweighted adaptation loss.

        Args:
            preds_S (Tensor): float32 C_f(φ_s), shape (N, C, H, W).
            preds_T (Tensor): Detached float32 E(φ_t), (N, C, H, W).

        Returns:
            Tensor: The mean p-norm of the normalised differences.
        """
        diff = self._normalized(preds_T) - self._normalized(preds_S)
        return torch.linalg.vector_norm(diff, ord=self.p, dim=1).mean()

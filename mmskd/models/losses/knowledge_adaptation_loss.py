# Copyright (c) mmskd contributors. All rights reserved.
"""The adaptation loss of knowledge adaptation (L_adapt, Eq. (2))."""
import torch
from torch import Tensor

from mmskd.registry import MODELS
from .base_distill_loss import BaseDistillLoss
from .unit_vectors import unit_vectors
from .utils import validate_choice

NORMALIZATIONS = ('position', 'sample')
REDUCTIONS = ('mean', 'sum')


@MODELS.register_module()
class KnowledgeAdaptationLoss(BaseDistillLoss):
    """Match the adapted student feature to the teacher's translated code.

    `Knowledge Adaptation for Efficient Semantic Segmentation
    <https://arxiv.org/abs/1903.04688>`_ (He et al., CVPR 2019), Eq. (2):

    .. math::
        L_{adapt} = w \\cdot \\frac{1}{|J|} \\sum_{j \\in J} \\frac{1}{C^{1/p}}
        \\left\\| \\frac{E(φ_t)^j}{\\|E(φ_t)^j\\|_q} -
        \\frac{C_f(φ_s)^j}{\\|C_f(φ_s)^j\\|_q} \\right\\|_p

    with ``preds_T`` = E(φ_t), the code of the frozen translator, and
    ``preds_S`` = C_f(φ_s), the student's feature adapter output, of the
    same shape (N, C, H, W). J holds every position of every sample, j is
    one position and ``‖·‖_p`` runs over its C-vector.

    The paper's Eq. (2) is lost from its text, which says only that the
    features "are normalized before matching" and that "p and q are
    different normalization types to normalize the knowledge for
    stability"; q = 2 and p = 1 are torchdistill's values (and those of
    Factor Transfer, which the loss resembles). The rest is mmskd's reading,
    the defaults: each position's C-vector is divided by its own q-norm
    (``normalize='position'``), and each position's p-norm by C^(1/p)
    (``reduction='mean'``; for p = 1, the mean |difference| over all N·C·H·W
    elements, as torchdistill's ``KTALoss`` reduces). It is the reading under
    which the paper's weight of 50 "reconciles" the term with the task. On
    unrelated random maps of the VOC config's shape (512 channels, 32x32),
    50 times the loss is, raw (after a ReLU):

    - ``'position'``, ``'mean'``: 2.5 (1.8), beside a 21-class cross-entropy
      of ln 21 = 3.0;
    - ``'position'``, ``'sum'``: 1276 (903), C times the above;
    - ``'sample'`` (each sample's whole map divided by its q-norm, as
      torchdistill and Factor Transfer do), ``'sum'``: 40 (28), ten times
      the task;
    - ``'sample'``, ``'mean'`` (torchdistill's ``KTALoss``): 0.08 (0.06),
      too small to matter.

    All-zero maps or vectors stay zero (see :func:`unit_vectors`).

    Args:
        p (float): The norm of the difference at each position. Defaults
            to 1.
        q (float): The norm that normalises the maps. Defaults to 2.
        normalize (str): ``'position'`` or ``'sample'``. Defaults to
            ``'position'``.
        loss_weight (float): w (the paper's 50 in mmskd's configs).
            Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
        reduction (str): ``'mean'`` (each position's p-norm divided by
            C^(1/p)) or ``'sum'`` (the p-norm). Defaults to ``'mean'``.
    """

    def __init__(self,
                 p: float = 1,
                 q: float = 2,
                 normalize: str = 'position',
                 loss_weight: float = 1.0,
                 resize_student: bool = False,
                 reduction: str = 'mean') -> None:
        super().__init__(loss_weight, resize_student)
        self.normalize = validate_choice(normalize, NORMALIZATIONS,
                                         'normalize')
        self.reduction = validate_choice(reduction, REDUCTIONS, 'reduction')
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
            Tensor: The mean over positions of the p-norm of the normalised
            differences (divided by C^(1/p) with ``reduction='mean'``).
        """
        diff = self._normalized(preds_T) - self._normalized(preds_S)
        norms = torch.linalg.vector_norm(diff, ord=self.p, dim=1)
        if self.reduction == 'mean':
            norms = norms / diff.shape[1]**(1 / self.p)
        return norms.mean()

# Copyright (c) mmskd contributors. All rights reserved.
import torch.nn.functional as F
from torch import Tensor

from mmskd.registry import MODELS
from .softmax_divergence import SoftmaxDivergence


@MODELS.register_module()
class PixelWiseDivergence(SoftmaxDivergence):
    """Pixel-wise distillation (PI) of structured knowledge distillation.

    `Structured Knowledge Distillation for Semantic Segmentation
    <https://arxiv.org/abs/1903.04197>`_, Eq. (1). At every pixel the
    teacher's class distribution is a soft target for the student's:

    .. math::
        \\ell_{pi} = w \\cdot \\tau^2 \\cdot \\frac{1}{NHW}
        \\sum_{n, i} \\mathrm{KL}\\big(\\sigma(t_{n,i}/\\tau) \\,\\|\\,
        \\sigma(s_{n,i}/\\tau)\\big)

    where :math:`\\sigma` is the softmax over classes. The paper writes
    KL(student || teacher) but calls the teacher probabilities soft targets;
    KL(teacher || student) is the reading that matches that text and the
    official code, whose soft-target cross-entropy differs from this loss
    only by the teacher entropy, a constant, so the gradients are equal.
    :math:`\\tau = 1` reproduces SKD; :math:`\\tau^2` keeps the gradient
    scale independent of the temperature (Hinton et al.). Pixels are averaged
    over the batch too, so the value does not grow with the batch size.

    Args:
        tau (float): Softmax temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def divergence(self, scaled_S: Tensor, scaled_T: Tensor) -> Tensor:
        """KL(teacher || student) over classes, averaged over N*H*W pixels.

        Args:
            scaled_S (Tensor): Student logits divided by tau, (N, C, H, W).
            scaled_T (Tensor): Teacher logits divided by tau, (N, C, H, W).

        Returns:
            Tensor: The mean per-pixel divergence.
        """
        log_prob_S = F.log_softmax(scaled_S, dim=1)
        log_prob_T = F.log_softmax(scaled_T, dim=1)
        # Per-element KL terms p_T * (log p_T - log p_S), computed from
        # log-probabilities so that p_T -> 0 gives 0 and not NaN.
        kl_per_pixel = F.kl_div(
            log_prob_S, log_prob_T, reduction='none',
            log_target=True).sum(dim=1)
        return kl_per_pixel.mean()

    def check_inputs(self, preds_S: Tensor, preds_T: Tensor) -> None:
        """Check that student and teacher predict the same classes.

        Args:
            preds_S (Tensor): Student logits of shape (N, Cs, H, W).
            preds_T (Tensor): Teacher logits of shape (N, Ct, H, W).

        Raises:
            ValueError: If Cs differs from Ct.
        """
        if preds_S.shape[1] != preds_T.shape[1]:
            raise ValueError(
                f'{type(self).__name__} compares class distributions, but '
                f'the student has {preds_S.shape[1]} classes (shape '
                f'{tuple(preds_S.shape)}) and the teacher '
                f'{preds_T.shape[1]} (shape {tuple(preds_T.shape)}). The '
                'student and the teacher must predict the same classes: '
                'set the same `num_classes` in both (e.g. '
                'model.architecture.decode_head.num_classes and '
                'model.teacher.decode_head.num_classes for a segmentor, '
                'bbox_head.num_classes for a detector).')

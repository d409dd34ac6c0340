# Copyright (c) mmskd contributors. All rights reserved.
import torch
import torch.nn.functional as F
from torch import Tensor

from mmskd.registry import MODELS
from .pixel_wise_divergence import PixelWiseDivergence


@MODELS.register_module()
class BernoulliPixelWiseDivergence(PixelWiseDivergence):
    """Pixel-wise distillation (PI) for sigmoid classifiers.

    Detectors such as FCOS, RetinaNet and GFL score each class with its own
    sigmoid, so their class logits do not form one softmax distribution per
    pixel. Here each class is an independent Bernoulli distribution, and
    Eq. (1) of structured distillation becomes the per-class Bernoulli
    KL(teacher || student), summed over classes and averaged over pixels:

    .. math::
        \\ell_{pi} = w \\cdot \\tau^2 \\cdot \\frac{1}{NHW} \\sum_{n, i, c}
        p^t \\log\\frac{p^t}{p^s} + (1 - p^t) \\log\\frac{1 - p^t}{1 - p^s},
        \\qquad p = \\mathrm{sigmoid}(x / \\tau)

    The thesis applies the pixel-wise term to the classification maps of
    FCOS ("all terms", the detection table); this is its reading for
    sigmoid outputs. Temperature, weight, teacher detach, float32 maths and
    resizing are those of :class:`PixelWiseDivergence`.

    Args:
        tau (float): Sigmoid temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def divergence(self, scaled_S: Tensor, scaled_T: Tensor) -> Tensor:
        """Bernoulli KL(teacher || student) summed over classes, averaged
        over N*H*W pixels.

        Args:
            scaled_S (Tensor): Student logits divided by tau, (N, C, H, W).
            scaled_T (Tensor): Teacher logits divided by tau, (N, C, H, W).

        Returns:
            Tensor: The mean per-pixel divergence.
        """
        prob_T = torch.sigmoid(scaled_T)
        # log p and log(1 - p) from logsigmoid: finite for any logit.
        kl = prob_T * (F.logsigmoid(scaled_T) - F.logsigmoid(scaled_S)) + \
            (1 - prob_T) * (F.logsigmoid(-scaled_T) - F.logsigmoid(-scaled_S))
        return kl.sum(dim=1).mean()

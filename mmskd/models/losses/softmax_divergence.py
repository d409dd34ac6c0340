# Copyright (c) mmskd contributors. All rights reserved.
"""Shared shape of the KL(teacher || student) distillation losses."""
from abc import ABCMeta, abstractmethod

from torch import Tensor

from .base_distill_loss import BaseDistillLoss
from .utils import validate_tau


class SoftmaxDivergence(BaseDistillLoss, metaclass=ABCMeta):
    """Base of losses that compare temperature-softened distributions.

    Subclasses decide over which axis the maps become distributions and how
    the divergences are averaged (:meth:`divergence`), and what makes a pair
    of maps comparable (:meth:`check_inputs`). This class adds the
    temperature and the ``tau²`` scaling (Hinton et al.: it keeps the
    gradient scale independent of ``tau``) to what
    :class:`BaseDistillLoss` owns: the weight, the pair preparation and
    float32 maths.

    Args:
        tau (float): Softmax temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): See
            :class:`~mmskd.models.losses.BaseDistillLoss`. Defaults to False.
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__(loss_weight, resize_student)
        self.tau = validate_tau(tau)

    def pair_loss(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """``tau²`` times the divergence of the temperature-scaled maps.

        Args:
            preds_S (Tensor): float32 student map, (N, C, H, W).
            preds_T (Tensor): Detached float32 teacher map, (N, C, H, W).

        Returns:
            Tensor: The unweighted loss.
        """
        return self.tau**2 * self.divergence(preds_S / self.tau,
                                             preds_T / self.tau)

    @abstractmethod
    def divergence(self, scaled_S: Tensor, scaled_T: Tensor) -> Tensor:
        """The averaged KL(teacher || student) of temperature-scaled maps."""

# Copyright (c) mmskd contributors. All rights reserved.
"""Shared shape of the KL(teacher || student) distillation losses."""
from abc import ABCMeta, abstractmethod

import torch.nn as nn
from torch import Tensor

from ..utils import autocast_disabled
from .utils import prepare_pair, validate_tau


class SoftmaxDivergence(nn.Module, metaclass=ABCMeta):
    """Base of losses that compare temperature-softened distributions.

    Subclasses decide over which axis the maps become distributions and how
    the divergences are averaged (:meth:`divergence`) and what makes a pair
    of maps comparable (:meth:`check_inputs`). This class owns what they
    share: the temperature, ``tau²`` scaling (Hinton et al.: it keeps the
    gradient scale independent of ``tau``), the loss weight, the teacher
    detach, the spatial check or resize, and float32 maths under autocast.

    Args:
        tau (float): Softmax temperature. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): Whether to bilinearly resize student maps
            whose spatial size differs from the teacher's. If False, such a
            mismatch raises a ValueError. Defaults to False.
    """

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__()
        self.tau = validate_tau(tau)
        self.loss_weight = float(loss_weight)
        self.resize_student = bool(resize_student)

    def forward(self, preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Compute the weighted divergence of the student from the teacher.

        Args:
            preds_S (Tensor): Student map of shape (N, C, Hs, Ws).
            preds_T (Tensor): Teacher map of shape (N, C, H, W). It is
                detached; no gradient reaches the teacher.

        Returns:
            Tensor: The scalar float32 loss.
        """
        with autocast_disabled(preds_S.device):
            preds_S, preds_T = prepare_pair(preds_S, preds_T,
                                            self.resize_student,
                                            type(self).__name__)
            self.check_inputs(preds_S, preds_T)
            loss = self.tau**2 * self.divergence(preds_S / self.tau,
                                                 preds_T / self.tau)
        return self.loss_weight * loss

    @abstractmethod
    def divergence(self, scaled_S: Tensor, scaled_T: Tensor) -> Tensor:
        """The averaged KL(teacher || student) of temperature-scaled maps."""

    @abstractmethod
    def check_inputs(self, preds_S: Tensor, preds_T: Tensor) -> None:
        """Raise a ValueError naming the fix if the maps cannot be compared."""

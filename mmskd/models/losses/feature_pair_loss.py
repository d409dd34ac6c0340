# Copyright (c) mmskd contributors. All rights reserved.
"""What the feature-map comparison losses share around their formula."""
from typing import Callable

import torch.nn as nn
from torch import Tensor

from ..utils import autocast_disabled
from .utils import prepare_pair


class FeaturePairLoss(nn.Module):
    """Base of losses that compare a student with a teacher feature map.

    Subclasses write the formula on two prepared maps and call
    :meth:`weighted` from their ``forward`` (whose arguments mmrazor's
    ``loss_forward_mappings`` name, so each subclass spells them out). This
    class owns the loss weight, the teacher detach, the batch and spatial
    checks (or the student resize), and float32 maths under autocast.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        resize_student (bool): Whether to bilinearly resize student maps
            whose spatial size differs from the teacher's. If False, such a
            mismatch raises a ValueError. Defaults to False.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 resize_student: bool = False) -> None:
        super().__init__()
        self.loss_weight = float(loss_weight)
        self.resize_student = bool(resize_student)

    def weighted(self, compare: Callable[[Tensor, Tensor], Tensor],
                 preds_S: Tensor, preds_T: Tensor) -> Tensor:
        """Prepare the two maps, apply ``compare``, scale by the weight.

        Args:
            compare (Callable): The unweighted loss of a float32 student map
                and a detached float32 teacher map of the same size.
            preds_S (Tensor): Student map of shape (N, Cs, Hs, Ws).
            preds_T (Tensor): Teacher map of shape (N, Ct, H, W).

        Returns:
            Tensor: ``loss_weight * compare(...)``, a float32 scalar.
        """
        with autocast_disabled(preds_S.device):
            preds_S, preds_T = prepare_pair(preds_S, preds_T,
                                            self.resize_student,
                                            type(self).__name__)
            loss = compare(preds_S, preds_T)
        return self.loss_weight * loss

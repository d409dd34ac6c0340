# Copyright (c) mmskd contributors. All rights reserved.
"""The cosine loss of surface normals."""
import torch
from torch import Tensor, nn

from mmskd.registry import MODELS


@MODELS.register_module()
class CosineNormalLoss(nn.Module):
    """One minus the cosine between predicted and true normals, averaged over
    the pixels with a true normal.

    .. math:: L = \\frac{1}{|V|} \\sum_{i \\in V} (1 - \\hat n_i \\cdot n_i)

    with :math:`\\hat n_i` the prediction made unit and :math:`n_i` the unit
    ground truth. The thesis names no normal loss (spec B.8, 4); the cosine
    loss is the usual one of multi-task networks with a normal task. A
    batch without any true normal gives 0, connected to the graph.

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        loss_name (str): Its name in the log. Defaults to
            ``'loss_normal_cos'``.
    """

    def __init__(self,
                 loss_weight: float = 1.0,
                 loss_name: str = 'loss_normal_cos') -> None:
        super().__init__()
        if not loss_weight >= 0:
            raise ValueError(f'loss_weight must be >= 0, got {loss_weight!r}')
        self.loss_weight = loss_weight
        self._loss_name = loss_name

    @property
    def loss_name(self) -> str:
        """The loss's name in the log (mmseg's loss interface)."""
        return self._loss_name

    def forward(self, normals: Tensor, target: Tensor,
                valid: Tensor) -> Tensor:
        """The weighted mean of :math:`1 - \\cos` over the valid pixels.

        Args:
            normals (Tensor): Unit predicted normals, (N, 3, H, W).
            target (Tensor): Unit true normals, (N, 3, H, W).
            valid (Tensor): Bool (N, 1, H, W), the pixels with a normal.

        Returns:
            Tensor: The scalar loss.
        """
        cosine = (normals * target).sum(dim=1, keepdim=True)
        if not valid.any():
            return normals.sum() * 0.0
        loss = (1.0 - cosine)[valid].mean()
        return self.loss_weight * loss.to(torch.float32)

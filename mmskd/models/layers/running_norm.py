# Copyright (c) mmskd contributors. All rights reserved.
"""Per-channel normalisation by running statistics, in training too."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


class RunningNorm2d(nn.Module):
    """Normalise each channel with running mean and variance, never with the
    statistics of the current batch alone.

    In training mode the running statistics are first updated with the
    batch (``running = (1 - momentum) * running + momentum * batch``, the
    unbiased variance, as ``nn.BatchNorm2d`` keeps them), then the batch is
    normalised with them; in eval mode they are only read. Unlike a
    train-mode BatchNorm, one sample's output does not depend on the other
    samples of its batch beyond the small momentum update, so two batches
    that differ by a per-channel affine map still differ after it. The
    holistic discriminator uses it for ``input_norm='running'``.

    Args:
        num_features (int): Channels C of the (N, C, H, W) input.
        momentum (float): Weight of the batch in the running update.
            Defaults to 0.1.
        eps (float): Added to the variance. Defaults to 1e-5.
    """

    def __init__(self,
                 num_features: int,
                 momentum: float = 0.1,
                 eps: float = 1e-5) -> None:
        super().__init__()
        if not 0 < momentum <= 1:
            raise ValueError(f'momentum must be in (0, 1], got {momentum}')
        self.momentum = momentum
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` with the (updated) running statistics.

        Args:
            x (Tensor): Input of shape (N, C, H, W).

        Returns:
            Tensor: The normalised input, same shape.
        """
        if self.training:
            with torch.no_grad():
                batch = x.detach().transpose(0, 1).flatten(1)
                self.running_mean.lerp_(batch.mean(1), self.momentum)
                self.running_var.lerp_(batch.var(1), self.momentum)
        return F.batch_norm(
            x,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            training=False,
            eps=self.eps)

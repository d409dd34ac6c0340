# Copyright (c) mmskd contributors. All rights reserved.
"""SAGAN self-attention for the holistic discriminator (Zhang et al., 2018)."""
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmskd.registry import MODELS


@MODELS.register_module()
class SAGANSelfAttention(BaseModule):
    """Self-attention block of SAGAN (Zhang et al., *Self-Attention
    Generative Adversarial Networks*, 2018).

    For an input ``x`` of shape (N, C, H, W), with ``L = H * W`` positions::

        q = W_q x   (N, C // reduction, L)
        k = W_k x   (N, C // reduction, L)
        v = W_v x   (N, C, L)
        attn[n, i, j] = softmax_j(q[n, :, i] . k[n, :, j])
        out[n, :, i] = sum_j attn[n, i, j] * v[n, :, j]
        y = gamma * out + x

    ``gamma`` is a learnable scalar initialised to 0, so the block is the
    identity at initialisation and the discriminator first learns from local
    features, then gradually mixes in long-range dependencies. As in SAGAN,
    the logits are not scaled by ``1/sqrt(d)``.

    The attention is written with ``bmm`` + ``softmax`` on purpose rather
    than ``F.scaled_dot_product_attention``: the gradient penalty
    differentiates the discriminator twice, and the fused CUDA attention
    kernels (flash / memory-efficient) have no double backward.

    Args:
        in_channels (int): Channels C of the input (and output).
        reduction (int): Query/key channels are ``max(C // reduction, 1)``.
            Defaults to 8 (SAGAN).
        spectral_norm (bool): Wrap the three 1x1 projections in spectral
            normalisation. Defaults to True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 reduction: int = 8,
                 spectral_norm: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or reduction < 1:
            raise ValueError('in_channels and reduction must be positive, '
                             f'got {in_channels} and {reduction}')
        self.in_channels = in_channels
        self.key_channels = max(in_channels // reduction, 1)

        def proj(out_channels: int) -> ConvModule:
            # Plain 1x1 convolutions (no norm, no activation): the softmax
            # and the residual supply the non-linearity.
            return ConvModule(
                in_channels,
                out_channels,
                kernel_size=1,
                norm_cfg=None,
                act_cfg=None,
                with_spectral_norm=spectral_norm)

        self.query = proj(self.key_channels)
        self.key = proj(self.key_channels)
        self.value = proj(in_channels)
        # A scalar gate starting at 0: identity at init (see class docstring).
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        """Apply self-attention over all spatial positions.

        Args:
            x (Tensor): Feature map of shape (N, C, H, W).

        Returns:
            Tensor: ``gamma * attention(x) + x``, of shape (N, C, H, W).
        """
        n, c, h, w = x.shape
        query = self.query(x).flatten(2)  # (N, C', L)
        key = self.key(x).flatten(2)  # (N, C', L)
        value = self.value(x).flatten(2)  # (N, C, L)
        # energy[n, i, j] = q_i . k_j; softmax over the attended positions j.
        attn = torch.softmax(torch.bmm(query.transpose(1, 2), key), dim=-1)
        # out[n, :, i] = sum_j v[n, :, j] * attn[n, i, j]
        out = torch.bmm(value, attn.transpose(1, 2)).view(n, c, h, w)
        return self.gamma * out + x

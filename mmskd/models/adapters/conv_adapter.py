# Copyright (c) mmskd contributors. All rights reserved.
"""Stacks of 3x3 conv-BN-ReLU layers: the adapters of knowledge adaptation
and the encoder of its knowledge translator."""
from typing import Dict, Optional

import torch
from mmcv.cnn import ConvModule
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector
from torch import nn

from mmskd.registry import MODELS


def conv_bn_relu_stack(in_channels: int,
                       out_channels: int,
                       num_convs: int,
                       first_stride: int = 1,
                       norm_cfg: Optional[Dict] = None,
                       act_cfg: Optional[Dict] = None) -> nn.Sequential:
    """``num_convs`` 3x3 convolutions (padding 1), each with norm and act.

    The first layer maps ``in_channels`` to ``out_channels`` with stride
    ``first_stride``; the others keep ``out_channels`` and the size.

    Args:
        in_channels (int): Channels of the input map.
        out_channels (int): Channels of every layer's output.
        num_convs (int): Number of layers, at least 1.
        first_stride (int): Stride of the first layer. Defaults to 1.
        norm_cfg (dict, optional): The norm layer. Defaults to BN.
        act_cfg (dict, optional): The activation. Defaults to ReLU.

    Returns:
        nn.Sequential: The layers, named ``0`` to ``num_convs - 1``.
    """
    if num_convs < 1:
        raise ValueError(f'num_convs must be >= 1, got {num_convs}')
    norm_cfg = norm_cfg or dict(type='BN')
    act_cfg = act_cfg or dict(type='ReLU')
    return nn.Sequential(*[
        ConvModule(
            in_channels if index == 0 else out_channels,
            out_channels,
            3,
            stride=first_stride if index == 0 else 1,
            padding=1,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg) for index in range(num_convs)
    ])


@MODELS.register_module()
class ConvAdapter(BaseConnector):
    """The student's adapters C_f and C_a of knowledge adaptation.

    `Knowledge Adaptation for Efficient Semantic Segmentation
    <https://arxiv.org/abs/1903.04688>`_ (He et al., CVPR 2019), appendix:
    the feature adapter "contains three convolution layers using a [3x3]
    kernel with stride of 1, padding of 1, BN layer and ReLU activation";
    the size stays and the channels become the teacher's. The paper does
    not describe the affinity adapter C_a; mmskd's configs give it the same
    design. Its output ends in a ReLU, like the translator's code it is
    compared with.

    Args:
        in_channel (int): Channels of the student's feature (filled in from
            the recorded module when a config omits it).
        out_channel (int): Channels of the teacher's feature.
        num_convs (int): Number of conv-BN-ReLU layers. Defaults to 3.
        norm_cfg (dict, optional): The norm layer. Defaults to BN.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 num_convs: int = 3,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        self.convs = conv_bn_relu_stack(
            in_channel, out_channel, num_convs, norm_cfg=norm_cfg)

    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Adapt a student feature map.

        Args:
            feature (Tensor): Shape (N, in_channel, H, W).

        Returns:
            Tensor: Shape (N, out_channel, H, W).
        """
        return self.convs(feature)

# Copyright (c) mmskd contributors. All rights reserved.
"""DeepLabV3's ASPP as a shared part of a multi-task network."""
from typing import List, Sequence

import torch
from mmcv.cnn import ConvModule
from mmseg.models.decode_heads.aspp_head import ASPPModule
from mmseg.models.utils import resize
from mmseg.utils import ConfigType, OptConfigType
from torch import Tensor, nn

from mmskd.registry import MODELS


@MODELS.register_module()
class ASPPNeck(nn.Module):
    """ASPP on one backbone output, shared by every task's head (the
    thesis's "context" network: an ASPP added to the shared part, App.
    A.2.2).

    The image pooling branch and the atrous branches of mmseg's
    ``ASPPHead``, concatenated and fused by a 3x3 conv, replace the output
    ``in_index``; the other outputs pass through.

    Args:
        in_channels (int): Channels of the output it takes.
        channels (int): Width of each branch and of the fused output.
        in_index (int): The backbone output it replaces. Defaults to -1.
        dilations (Sequence[int]): The branches' dilations. Defaults to
            ``(1, 6, 12, 18)``.
        conv_cfg (dict, optional): Conv config.
        norm_cfg (dict): Norm config. Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation config. Defaults to ``dict(type='ReLU')``.
        align_corners (bool): Of the image pooling's upsampling. Defaults to
            False.
    """

    def __init__(self,
                 in_channels: int,
                 channels: int,
                 in_index: int = -1,
                 dilations: Sequence[int] = (1, 6, 12, 18),
                 conv_cfg: OptConfigType = None,
                 norm_cfg: ConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 align_corners: bool = False) -> None:
        super().__init__()
        layers = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.in_index = in_index
        self.align_corners = align_corners
        self.image_pool = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            ConvModule(in_channels, channels, 1, **layers))
        self.aspp_modules = ASPPModule(dilations, in_channels, channels,
                                       **layers)
        self.bottleneck = ConvModule(
            (len(dilations) + 1) * channels, channels, 3, padding=1, **layers)

    def forward(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """The outputs with ``in_index`` replaced by its ASPP feature.

        Args:
            inputs (Sequence[Tensor]): The backbone's outputs.

        Returns:
            list[Tensor]: The same outputs, ``in_index`` of ``channels``.
        """
        outputs = list(inputs)
        x = outputs[self.in_index]
        pooled = resize(
            self.image_pool(x),
            size=x.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        branches = [pooled, *self.aspp_modules(x)]
        outputs[self.in_index] = self.bottleneck(torch.cat(branches, dim=1))
        return outputs

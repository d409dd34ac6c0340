# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's ResNetV1c with the inner widths a slimming left its blocks."""
from typing import Sequence

from mmcv.cnn import build_conv_layer, build_norm_layer
from mmseg.models.backbones import ResNetV1c
from mmseg.registry import MODELS
from torch import nn

from .slimming import basic_blocks


def narrow_block(block: nn.Module, width: int, conv_cfg: dict,
                 norm_cfg: dict) -> None:
    """Give a BasicBlock ``width`` inner channels (conv1's outputs, bn1,
    conv2's inputs), keeping its convolutions' geometry."""
    conv1, conv2 = block.conv1, block.conv2
    block.conv1 = build_conv_layer(
        conv_cfg,
        conv1.in_channels,
        width,
        conv1.kernel_size,
        stride=conv1.stride,
        padding=conv1.padding,
        dilation=conv1.dilation,
        bias=False)
    _, norm = build_norm_layer(norm_cfg, width, postfix=1)
    block.add_module(block.norm1_name, norm)
    block.conv2 = build_conv_layer(
        conv_cfg,
        width,
        conv2.out_channels,
        conv2.kernel_size,
        stride=conv2.stride,
        padding=conv2.padding,
        dilation=conv2.dilation,
        bias=False)


# In mmseg's registry, as mmseg's backbones: its segmentors build it.
@MODELS.register_module()
class PrunedResNetV1c(ResNetV1c):
    """mmseg's ResNetV1c whose BasicBlocks have their own inner widths.

    ``tools/model_converters/slim_resnet.py`` writes the config and the
    checkpoint of a slimmed network with it.

    Args:
        inner_channels (Sequence[int]): Each block's inner width, stage by
            stage.
        **kwargs: mmseg's ``ResNetV1c`` arguments (depth 18 or 34).
    """

    def __init__(self, inner_channels: Sequence[int], **kwargs) -> None:
        super().__init__(**kwargs)
        blocks = basic_blocks(self)
        if len(inner_channels) != len(blocks):
            raise ValueError(
                f'inner_channels gives {len(inner_channels)} widths for the '
                f'{len(blocks)} blocks of a ResNet-{self.depth}.')
        for block, width in zip(blocks, inner_channels):
            narrow_block(block, width, self.conv_cfg, self.norm_cfg)

# Copyright (c) mmskd contributors. All rights reserved.
"""The adaptor ops of the auxiliary search space (op_ad, thesis §6.3.4).

Each is a convolution and a norm without an activation, as the basic
module's adaptors (eq. 6.1), to ``channels`` outputs; ``skip`` passes its
input as it is.
"""
from typing import Optional

import mmcv.ops  # noqa: F401 (registers the deformable conv 'DCN')
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from torch import nn

# The dilation of each separable 3x3 op.
SEPARABLE_DILATIONS = {
    'sep_conv3x3': 1,
    'sep_conv3x3_d3': 3,
    'sep_conv3x3_d6': 6,
}


def build_adaptor(op: str,
                  in_channels: int,
                  channels: int,
                  norm_cfg: Optional[dict],
                  conv_cfg: Optional[dict] = None) -> nn.Module:
    """One adaptor op.

    Args:
        op (str): A name of
            :data:`mmskd.models.auxiliary.search_space.ADAPTOR_OPS`.
        in_channels (int): Its input's channels.
        channels (int): Its output's channels (``skip`` keeps
            ``in_channels``).
        norm_cfg (dict, optional): The norm after each convolution.
        conv_cfg (dict, optional): The convolution of ``conv1x1`` and the
            separable ops' (mmcv's ``conv_cfg``). Defaults to None.

    Returns:
        nn.Module: The op.
    """
    if op == 'skip':
        return nn.Identity()
    if op == 'conv1x1':
        return ConvModule(
            in_channels,
            channels,
            1,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=None)
    if op == 'deform_conv3x3':
        return ConvModule(
            in_channels,
            channels,
            3,
            padding=1,
            conv_cfg=dict(type='DCN', deform_groups=1),
            norm_cfg=norm_cfg,
            act_cfg=None)
    if op in SEPARABLE_DILATIONS:
        dilation = SEPARABLE_DILATIONS[op]
        return DepthwiseSeparableConvModule(
            in_channels,
            channels,
            3,
            padding=dilation,
            dilation=dilation,
            conv_cfg=conv_cfg,
            norm_cfg=norm_cfg,
            act_cfg=None)
    raise ValueError(f'No adaptor op {op!r}.')

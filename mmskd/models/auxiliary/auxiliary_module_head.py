# Copyright (c) mmskd contributors. All rights reserved.
"""The basic auxiliary module of auxiliary over-parameterisation (thesis
ch. 6): extra parameters on the backbone's stages that train with the task's
loss and are gone at test time."""
from typing import List, Sequence

import torch
from mmcv.cnn import ConvModule
from mmseg.models.utils import resize
from torch import Tensor, nn

from mmskd.registry import MODELS
from .base_auxiliary_head import BaseAuxiliaryHead


@MODELS.register_module()
class AuxiliaryModuleHead(BaseAuxiliaryHead):
    """The basic auxiliary module, an mmseg ``auxiliary_head``.

    Thesis eq. (6.1): an adaptor :math:`A^l` (a 1x1 or 3x3 convolution and
    BN) on each backbone stage's output :math:`O_l`, aggregated
    hierarchically by channel concatenation,

    .. math::
        h_1 = A^1(O_1), \\qquad h_l = h_{l-1} \\odot A^l(O_l),

    and a prediction layer (``conv_seg``, 1x1) on :math:`h_L`, trained with
    the task's own loss (``loss_decode``; the thesis's objective (6.2) is
    the unweighted sum with the main loss: ``loss_weight=1.0``). The thesis
    does not say how :math:`h_{l-1}` meets :math:`O_l`'s resolution: it is
    resized bilinearly to it, which halves it after a strided stage and
    keeps it after a dilated one (the D8 ResNets' last two stages).

    As an mmseg ``auxiliary_head`` it adds its loss in training, and the
    segmentor never runs it in ``predict`` or ``tensor`` mode: the deployed
    network is the plain one, with its parameters and FLOPs
    (``tools/model_converters/convert_to_student.py --drop-auxiliary-heads``
    writes its checkpoint).

    Args:
        in_channels (Sequence[int]): Channels of the stages it takes.
        channels (int): Output channels of each adaptor; :math:`h_L` has
            ``len(in_channels) * channels``.
        in_index (Sequence[int]): The backbone outputs it takes, in order
            (e.g. ``(0, 1, 2, 3)`` for every ResNet stage).
        adaptor_kernel (int): 1 (the basic-conv1x1 variant) or 3
            (basic-conv3x3). Defaults to 1.
        loss_decode (dict | list): The task's loss. Defaults to mmseg's
            cross-entropy with weight 1 (named ``mmseg.`` so that it
            resolves when the head is built in the ``mmskd`` scope).
        **kwargs: The arguments of mmseg's ``BaseDecodeHead`` (``channels``
            as above; ``input_transform`` is ``'multiple_select'``).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int],
                 adaptor_kernel: int = 1,
                 **kwargs) -> None:
        if adaptor_kernel not in (1, 3):
            raise ValueError('adaptor_kernel is 1 (basic-conv1x1) or 3 '
                             f'(basic-conv3x3), got {adaptor_kernel}.')
        super().__init__(in_channels, channels, in_index, **kwargs)
        self.adaptors = nn.ModuleList(
            ConvModule(
                stage_channels,
                channels,
                adaptor_kernel,
                padding=adaptor_kernel // 2,
                conv_cfg=self.conv_cfg,
                norm_cfg=self.norm_cfg,
                act_cfg=None) for stage_channels in self.in_channels)
        # The prediction layer reads the whole hierarchy h_L.
        self.conv_seg = nn.Conv2d(
            len(self.in_channels) * channels, self.out_channels, 1)

    def aggregate(self, stages: List[Tensor]) -> Tensor:
        """:math:`h_L` of the stages' outputs.

        Args:
            stages (list[Tensor]): :math:`O_1, ..., O_L`.

        Returns:
            Tensor: :math:`h_L` at :math:`O_L`'s resolution, with
            ``L * channels`` channels.
        """
        hierarchy = self.adaptors[0](stages[0])
        for adaptor, stage in zip(self.adaptors[1:], stages[1:]):
            hierarchy = resize(
                hierarchy,
                size=stage.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            hierarchy = torch.cat([hierarchy, adaptor(stage)], dim=1)
        return hierarchy

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """The auxiliary prediction.

        Args:
            inputs (list[Tensor]): Every backbone output.

        Returns:
            Tensor: The logits at the last stage's resolution.
        """
        return self.cls_seg(self.aggregate(self._transform_inputs(inputs)))

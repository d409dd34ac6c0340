# Copyright (c) mmskd contributors. All rights reserved.
"""A U-net decoder in front of a task head."""
from typing import List, Sequence

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from mmseg.models.utils import resize
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.utils import ConfigType, OptConfigType, SampleList
from torch import Tensor, nn

from mmskd.registry import MODELS


@MODELS.register_module()
class UShapeHead(BaseModule):
    """A U-net decoder over several encoder outputs, then a task head (the
    thesis's "U-shape" multi-task network, Table 6.3, whose decoder follows
    VNL's).

    From the deepest output up: a 1x1 conv brings it to ``channels``; at
    each shallower output the running feature is upsampled bilinearly to its
    size, concatenated with it and fused by a 3x3 conv (with norm and
    activation). ``head`` (a decode head with its own layers, loss and
    prediction, e.g. mmseg's ``FCNHead`` or ``mmskd.DepthBinHead``) reads the
    fused map, at the shallowest output's stride. Everything a network or
    an auxiliary module asks of a decode head (``loss``, ``predict``,
    ``loss_by_feat``, ``num_classes``, ``out_channels``, ``conv_seg``,
    ``align_corners``) is the task head's, on the fused map; the decoder's
    upsampling follows the task head's ``align_corners``.

    Args:
        in_channels (Sequence[int]): Channels of the outputs it takes.
        in_index (Sequence[int]): The outputs it takes, shallowest first.
        channels (int): Width of the decoder.
        head (dict): The task head; its ``in_channels``, ``in_index`` and
            ``input_transform`` are replaced by the fused map's (so that a
            config can wrap a head it inherits). Built in mmseg's scope
            (mmskd's heads name theirs).
        norm_cfg (dict, optional): Norm of the decoder's convs. Defaults to
            BN.
        act_cfg (dict): Their activation. Defaults to ReLU.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 in_index: Sequence[int],
                 channels: int,
                 head: ConfigType,
                 norm_cfg: OptConfigType = dict(type='BN'),
                 act_cfg: ConfigType = dict(type='ReLU'),
                 init_cfg: OptConfigType = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != len(in_index) or len(in_index) < 2:
            raise ValueError(
                'UShapeHead takes two outputs or more, one channel count '
                f'each: got in_channels={list(in_channels)} and '
                f'in_index={list(in_index)}')
        layers = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.in_index = list(in_index)
        self.lateral = ConvModule(in_channels[-1], channels, 1, **layers)
        self.fusions = nn.ModuleList(
            ConvModule(channels + width, channels, 3, padding=1, **layers)
            for width in reversed(in_channels[:-1]))
        # This head is built in mmskd's scope; the task head's type (e.g.
        # FCNHead) resolves in mmseg's unless it names its own scope.
        self.head = SEG_MODELS.build(
            dict(
                head,
                in_channels=channels,
                in_index=0,
                input_transform=None,
                _scope_=head.get('_scope_', 'mmseg')))

    @property
    def num_classes(self) -> int:
        """The task head's class count."""
        return self.head.num_classes

    @property
    def out_channels(self) -> int:
        """The task head's prediction channels."""
        return self.head.out_channels

    @property
    def align_corners(self) -> bool:
        """The task head's ``align_corners``."""
        return self.head.align_corners

    @property
    def conv_seg(self) -> nn.Module:
        """The task head's prediction layer."""
        return self.head.conv_seg

    def decode(self, inputs: Sequence[Tensor]) -> List[Tensor]:
        """The fused map, as the task head's one input.

        Args:
            inputs (Sequence[Tensor]): The encoder's outputs.

        Returns:
            list[Tensor]: ``[fused]``, (N, channels, H, W) at the stride of
            ``in_index[0]``.
        """
        features = [inputs[index] for index in self.in_index]
        fused = self.lateral(features[-1])
        for fusion, skip in zip(self.fusions, reversed(features[:-1])):
            fused = resize(
                fused,
                size=skip.shape[2:],
                mode='bilinear',
                align_corners=self.align_corners)
            fused = fusion(torch.cat([fused, skip], dim=1))
        return [fused]

    def forward(self, inputs: Sequence[Tensor]) -> Tensor:
        """The task head's output on the fused map.

        Args:
            inputs (Sequence[Tensor]): The encoder's outputs.

        Returns:
            Tensor: What the task head's ``forward`` returns.
        """
        return self.head(self.decode(inputs))

    def loss(self, inputs: Sequence[Tensor], batch_data_samples: SampleList,
             train_cfg: ConfigType) -> dict:
        """The task head's losses on the fused map.

        Args:
            inputs (Sequence[Tensor]): The encoder's outputs.
            batch_data_samples (list[SegDataSample]): The samples.
            train_cfg (dict): The network's training config.

        Returns:
            dict[str, Tensor]: The task head's losses.
        """
        return self.head.loss(self.decode(inputs), batch_data_samples,
                              train_cfg)

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """The task head's losses of an output (an auxiliary module's).

        Args:
            seg_logits (Tensor): An output of the task head's shape.
            batch_data_samples (list[SegDataSample]): The samples.

        Returns:
            dict[str, Tensor]: The task head's losses.
        """
        return self.head.loss_by_feat(seg_logits, batch_data_samples)

    def predict(self, inputs: Sequence[Tensor], batch_img_metas: List[dict],
                test_cfg: ConfigType) -> Tensor:
        """The task head's prediction on the fused map.

        Args:
            inputs (Sequence[Tensor]): The encoder's outputs.
            batch_img_metas (list[dict]): Image meta information.
            test_cfg (dict): The network's test config.

        Returns:
            Tensor: The task head's prediction at the input size.
        """
        return self.head.predict(self.decode(inputs), batch_img_metas,
                                 test_cfg)

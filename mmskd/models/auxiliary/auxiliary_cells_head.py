# Copyright (c) mmskd contributors. All rights reserved.
"""A searched auxiliary module (thesis §6.3.4): the structure a controller
samples, as a list of cells in a config, built as an mmseg
``auxiliary_head`` that is gone at test time like the basic module."""
from typing import List, Sequence, Union

import torch
from mmcv.cnn import ConvModule
from mmseg.models.utils import resize
from torch import Tensor, nn

from mmskd.registry import MODELS
from .adaptor_ops import build_adaptor
from .base_auxiliary_head import BaseAuxiliaryHead
from .search_space import check_structure


class AuxiliaryCell(nn.Module):
    """Two adaptor ops on two entries of ``loc`` and their aggregation.

    Both branches meet at the coarser of their two resolutions (bilinearly),
    as the basic module's hierarchy meets each later, coarser or equal,
    stage. A ``sum`` needs equal widths: a ``skip`` branch whose input is
    not ``channels`` wide is projected to it (1x1 conv + norm) first.

    Args:
        inputs (tuple[int]): The two positions of ``loc`` it reads.
        ops (tuple[str]): The adaptor op of each.
        aggregator (str): ``'sum'`` or ``'concat'``.
        widths (Sequence[int]): The channels of every entry of ``loc``
            so far.
        channels (int): The adaptor ops' output channels.
        norm_cfg (dict, optional): The norm after each convolution.
        conv_cfg (dict, optional): mmcv's ``conv_cfg`` of the convolutions.
        align_corners (bool): Of the resize.
    """

    def __init__(self, inputs: Sequence[int], ops: Sequence[str],
                 aggregator: str, widths: Sequence[int], channels: int,
                 norm_cfg: Union[dict, None], conv_cfg: Union[dict, None],
                 align_corners: bool) -> None:
        super().__init__()
        self.inputs = tuple(inputs)
        self.aggregator = aggregator
        self.align_corners = align_corners
        self.branches = nn.ModuleList()
        branch_widths = []
        for position, op in zip(inputs, ops):
            branch = [
                build_adaptor(op, widths[position], channels, norm_cfg,
                              conv_cfg)
            ]
            width = widths[position] if op == 'skip' else channels
            if aggregator == 'sum' and width != channels:
                branch.append(
                    ConvModule(
                        width,
                        channels,
                        1,
                        conv_cfg=conv_cfg,
                        norm_cfg=norm_cfg,
                        act_cfg=None))
                width = channels
            self.branches.append(nn.Sequential(*branch))
            branch_widths.append(width)
        self.out_channels = (
            sum(branch_widths) if aggregator == 'concat' else channels)

    def forward(self, loc: List[Tensor]) -> Tensor:
        """The cell's output, to be appended to ``loc``."""
        outputs = [
            branch(loc[position])
            for branch, position in zip(self.branches, self.inputs)
        ]
        size = min((output.shape[2:] for output in outputs),
                   key=lambda shape: shape[0] * shape[1])
        outputs = [
            output if output.shape[2:] == size else resize(
                output,
                size=size,
                mode='bilinear',
                align_corners=self.align_corners) for output in outputs
        ]
        if self.aggregator == 'sum':
            return outputs[0] + outputs[1]
        return torch.cat(outputs, dim=1)


@MODELS.register_module()
class AuxiliaryCellsHead(BaseAuxiliaryHead):
    """An auxiliary module of searched cells, an mmseg ``auxiliary_head``.

    ``loc`` starts as the backbone outputs of ``in_index``; each cell
    (:class:`AuxiliaryCell`) reads two of its entries and appends its
    output; a 1x1 prediction layer (``conv_seg``) reads the last cell's.
    :func:`mmskd.models.auxiliary.basic_module_cells` is the basic module
    (:class:`AuxiliaryModuleHead`) as such a structure.

    Args:
        in_channels (Sequence[int]): Channels of the backbone outputs it
            takes.
        channels (int): Output channels of each adaptor op but ``skip``.
        in_index (Sequence[int]): The backbone outputs it takes, in order.
        cells (Sequence): One ``[input_1, input_2, op_1, op_2,
            aggregator]`` per backbone output taken
            (:mod:`mmskd.models.auxiliary.search_space`).
        loss_decode (dict | list): The task's loss. Defaults to mmseg's
            cross-entropy with weight 1.
        **kwargs: The arguments of mmseg's ``BaseDecodeHead``
            (``input_transform`` is ``'multiple_select'``).
    """

    def __init__(self,
                 in_channels: Sequence[int],
                 channels: int,
                 in_index: Sequence[int],
                 cells: Sequence[Sequence[Union[int, str]]],
                 **kwargs) -> None:
        super().__init__(in_channels, channels, in_index, **kwargs)
        widths = list(self.in_channels)
        self.cells = nn.ModuleList()
        for input_1, input_2, op_1, op_2, aggregator in check_structure(
                cells, len(self.in_channels)):
            cell = AuxiliaryCell((input_1, input_2), (op_1, op_2),
                                 aggregator, widths, channels, self.norm_cfg,
                                 self.conv_cfg, self.align_corners)
            self.cells.append(cell)
            widths.append(cell.out_channels)
        self.conv_seg = nn.Conv2d(widths[-1], self.out_channels, 1)

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """The auxiliary prediction.

        Args:
            inputs (list[Tensor]): Every backbone output.

        Returns:
            Tensor: The logits at the last cell's resolution.
        """
        loc = list(self._transform_inputs(inputs))
        for cell in self.cells:
            loc.append(cell(loc))
        return self.cls_seg(loc[-1])

# Copyright (c) mmskd contributors. All rights reserved.
"""A head that predicts a unit surface normal per pixel."""
from typing import List, Union

import torch
import torch.nn.functional as F
from mmseg.models.decode_heads import FCNHead
from mmseg.models.utils import resize
from mmseg.utils import SampleList
from torch import Tensor

from mmskd.registry import MODELS
from mmskd.structures import has_normal


@MODELS.register_module()
class SurfaceNormalHead(FCNHead):
    """mmseg's ``FCNHead`` with three outputs, made unit: the surface normal
    of each pixel, in the camera's frame (x right, y down, z forward, the
    normal facing the camera).

    ``num_classes`` and ``out_channels`` are 3 (set here). The loss is
    ``loss_decode`` (default :class:`CosineNormalLoss`) on the normals at the
    ground truth's size, over the pixels whose ``gt_normals`` is not the
    zero vector; the prediction is the unit normal at the input size.

    Args:
        loss_decode (dict | list[dict]): Normal losses, each called as
            ``loss(normals, target, valid)``. Defaults to
            ``CosineNormalLoss`` with weight 1.
        **kwargs: ``FCNHead`` arguments (``in_channels``, ``channels``,
            ``num_convs``, ``concat_input``, ``in_index``, ...).
    """

    def __init__(self,
                 loss_decode: Union[dict, List[dict]] = dict(
                     type='CosineNormalLoss', _scope_='mmskd',
                     loss_weight=1.0),
                 **kwargs) -> None:
        for key in ('num_classes', 'out_channels'):
            if kwargs.get(key, 3) != 3:
                raise TypeError(f'SurfaceNormalHead predicts 3 channels: '
                                f'remove {key}={kwargs[key]!r}')
            kwargs.pop(key, None)
        super().__init__(
            num_classes=3, out_channels=3, loss_decode=loss_decode, **kwargs)

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Unit normals at the input size.

        Args:
            seg_logits (Tensor): The head's output, (N, 3, H', W').
            batch_img_metas (list[dict]): Image meta information.

        Returns:
            Tensor: Unit normals, (N, 3, H, W).
        """
        normals = super().predict_by_feat(seg_logits, batch_img_metas)
        return F.normalize(normals.float(), dim=1)

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        """Stack the ``gt_normals`` of each sample into (N, 3, H, W).

        Args:
            batch_data_samples (list[SegDataSample]): The batch's samples.

        Returns:
            Tensor: The true normals, (N, 3, H, W).
        """
        missing = [
            index for index, sample in enumerate(batch_data_samples)
            if 'gt_normals' not in sample
        ]
        if missing:
            raise KeyError(
                f'samples {missing} of the batch have no gt_normals: load '
                'them with LoadSurfaceNormals and pack them with '
                'PackMultiTaskInputs')
        return torch.stack(
            [sample.gt_normals.data for sample in batch_data_samples])

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """The normal losses on the pixels with a true normal.

        Args:
            seg_logits (Tensor): The head's output, (N, 3, H', W').
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_normals`` ((0, 0, 0) where there is none).

        Returns:
            dict[str, Tensor]: One entry per loss of ``loss_decode``.
        """
        target = self._stack_batch_gt(batch_data_samples).float()
        normals = resize(
            seg_logits.float(),
            size=target.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        normals = F.normalize(normals, dim=1)
        valid = has_normal(target, channel_axis=1)
        target = F.normalize(target, dim=1)
        losses = self.loss_decode if isinstance(
            self.loss_decode, torch.nn.ModuleList) else [self.loss_decode]
        return {
            loss.loss_name: loss(normals, target, valid)
            for loss in losses
        }

# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's data preprocessor with each task's map padded by its own value."""
from typing import Any, Dict

import torch
import torch.nn.functional as F
from mmseg.models.data_preprocessor import SegDataPreProcessor

from mmskd.registry import MODELS


@MODELS.register_module()
class MultiTaskDataPreProcessor(SegDataPreProcessor):
    """``SegDataPreProcessor`` for samples with several task maps.

    mmseg pads ``gt_depth_map`` with ``seg_pad_val``, the 255 that means
    "ignore" for labels but 255 m for depth, and does not pad
    ``gt_normals`` at all (so a batch of crops of different sizes cannot be
    stacked). Here a padded depth pixel is 0 and a padded normal (0, 0, 0),
    what the depth and normal losses read as "no ground truth"; labels are
    padded with ``seg_pad_val`` as in mmseg.

    Args:
        **kwargs: ``SegDataPreProcessor``'s arguments.
    """

    def forward(self, data: dict, training: bool = False) -> Dict[str, Any]:
        """Normalise and pad the batch, then set each map's padding.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the dataloader.
            training (bool): Training-time preprocessing (the maps are only
                padded then, as in mmseg). Defaults to False.

        Returns:
            dict: ``inputs`` (N, 3, H, W) and the padded ``data_samples``.
        """
        data = super().forward(data, training)
        if not training:
            return data
        for sample in data['data_samples']:
            left, right, top, bottom = sample.padding_size
            if 'gt_depth_map' in sample:
                depth = sample.gt_depth_map.data
                height, width = depth.shape[-2:]
                unpadded = torch.zeros_like(depth, dtype=torch.bool)
                unpadded[..., top:height - bottom, left:width - right] = True
                depth.masked_fill_(~unpadded, 0)
            if 'gt_normals' in sample:
                normals = sample.gt_normals.data
                del sample.gt_normals.data
                sample.gt_normals.data = F.pad(normals,
                                               (left, right, top, bottom))
        return data

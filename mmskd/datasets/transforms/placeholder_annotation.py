# Copyright (c) mmskd contributors. All rights reserved.
"""Stand-in ground truth for images that have none."""
from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.registry import TRANSFORMS

# What each kind of ground truth is filled with: the value every mmseg loss,
# metric and transform already skips (the ignore index of a label map, 0 =
# no depth in a depth map).
PLACEHOLDERS = {
    'gt_seg_map': (255, np.uint8),
    'gt_depth_map': (0.0, np.float32),
}


@TRANSFORMS.register_module()
class PlaceholderAnnotation(BaseTransform):
    """Give an unlabelled image a ground-truth map that carries no label.

    The map has the image's size and is filled with the value that mmseg
    skips everywhere (``ignore_index`` for ``gt_seg_map``, 0 for
    ``gt_depth_map``), so the rest of a labelled pipeline (``RandomCrop``
    with ``cat_max_ratio``, flips, ``PackSegInputs``, the data
    preprocessor's padding) runs unchanged. It stands where the annotation
    loader stands, after ``LoadImageFromFile``. It never makes the image
    labelled: ``UnlabelledImageDataset`` marks its samples, and the student's
    task loss leaves marked samples out rather than scoring this map.

    Args:
        field (str): ``'gt_seg_map'`` (segmentation) or ``'gt_depth_map'``
            (depth). Defaults to ``'gt_seg_map'``.
        fill_value (float, optional): The value of every pixel. Defaults to
            255 for label maps and 0 for depth maps.
    """

    def __init__(self, field: str = 'gt_seg_map', fill_value=None) -> None:
        if field not in PLACEHOLDERS:
            raise ValueError(f'PlaceholderAnnotation makes one of '
                             f'{sorted(PLACEHOLDERS)}, not {field!r}')
        default, self.dtype = PLACEHOLDERS[field]
        self.field = field
        self.fill_value = default if fill_value is None else fill_value

    def transform(self, results: Dict) -> Dict:
        """Add the placeholder map of ``results['img']``'s size.

        Args:
            results (dict): Needs ``img`` (loaded) and ``seg_fields``.

        Returns:
            dict: With ``results[field]`` added and listed in
            ``seg_fields``.
        """
        if 'img' not in results:
            raise KeyError(
                'PlaceholderAnnotation needs the loaded image to know the '
                "map's size; put it after LoadImageFromFile in the pipeline.")
        height, width = results['img'].shape[:2]
        results[self.field] = np.full((height, width), self.fill_value,
                                      self.dtype)
        fields = results.setdefault('seg_fields', [])
        if self.field not in fields:
            fields.append(self.field)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(field={self.field!r}, '
                f'fill_value={self.fill_value!r})')

# Copyright (c) mmskd contributors. All rights reserved.
"""Load depth maps that must be single-channel 16-bit images."""
from typing import Dict

import mmengine.fileio as fileio
import numpy as np
from mmseg.datasets.transforms import LoadDepthAnnotation
from mmseg.registry import TRANSFORMS
from mmseg.utils import datafrombytes

from ..data_checks import check_uint16_depth


@TRANSFORMS.register_module()
class LoadUInt16DepthAnnotation(LoadDepthAnnotation):
    """``LoadDepthAnnotation`` that refuses a depth map that is not 16-bit.

    NYU-layout depth maps are single-channel 16-bit PNGs holding millimetres
    (``depth_rescale_factor=1e-3`` turns them into metres; 0 marks a pixel
    without depth). mmseg's loader takes whatever the file decodes to: an
    8-bit PNG (a depth map saved for viewing) silently becomes depths of at
    most 0.255 m, and an RGB rendering becomes a 3-channel "depth". This
    loader raises a ValueError naming the file, its dtype and its shape
    instead. Its arguments and outputs are ``LoadDepthAnnotation``'s;
    registered in mmseg's scope, where pipelines are built. Depths in the
    wrong unit (metres, 0.1 mm) are uint16 too: ``CheckedNYUDataset``
    refuses those when it loads, from a sample of its maps.

    Args:
        decode_backend (str): How to decode the file ('cv2' for PNG, as in
            mmseg; 'numpy' for .npy). Defaults to 'cv2'.
        to_float32 (bool): Convert the map to float32 (as mmseg; the rescale
            needs it unless ``depth_rescale_factor`` is 1). Defaults to True.
        depth_rescale_factor (float): Factor from the stored integers to the
            depth unit. Defaults to 1.0.
        backend_args (dict, optional): File backend arguments.
    """

    def transform(self, results: Dict) -> Dict:
        """Load, check and rescale ``results['depth_map_path']``.

        Args:
            results (dict): Needs ``depth_map_path`` and ``seg_fields``.

        Returns:
            dict: With ``gt_depth_map`` (H, W) and ``depth_rescale_factor``.
        """
        path = results['depth_map_path']
        depth = check_uint16_depth(
            datafrombytes(
                fileio.get(path, backend_args=self.backend_args),
                backend=self.decode_backend), path, self.depth_rescale_factor)
        if self.to_float32:
            depth = depth.astype(np.float32)
        results['gt_depth_map'] = depth * self.depth_rescale_factor
        results['seg_fields'].append('gt_depth_map')
        results['depth_rescale_factor'] = self.depth_rescale_factor
        return results

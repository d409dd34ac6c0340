# Copyright (c) mmskd contributors. All rights reserved.
"""Transforms that keep every task's map aligned with the image: surface
normals loaded, flipped with the image and packed; depth rescaled with the
image."""
from typing import Dict, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmcv.transforms import RandomResize as MMCV_RandomResize
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs, RandomFlip
from mmseg.registry import TRANSFORMS
from mmseg.utils import datafrombytes

from mmskd.structures import mirror_normals


def decode_normals(encoded: np.ndarray) -> np.ndarray:
    """Unit normals from an 8-bit RGB encoding (zero = no normal).

    Args:
        encoded (np.ndarray): uint8 (H, W, 3), x, y, z in R, G, B, each
            component ``c`` stored as ``round(127 * c + 128)`` (1-255, so
            that 0, -1 and 1 are exact and black is free).

    Returns:
        np.ndarray: float32 (H, W, 3) unit normals, (0, 0, 0) where the
        file has none.
    """
    valid = encoded.any(axis=-1, keepdims=True)
    normals = (encoded.astype(np.float32) - 128.0) / 127.0
    norm = np.linalg.norm(normals, axis=-1, keepdims=True)
    return np.where(valid, normals / np.maximum(norm, 1e-6),
                    0.0).astype(np.float32)


def encode_normals(normals: np.ndarray) -> np.ndarray:
    """The 8-bit RGB encoding :func:`decode_normals` reads.

    Args:
        normals (np.ndarray): (H, W, 3) unit normals, zero where none.

    Returns:
        np.ndarray: uint8 (H, W, 3) in R, G, B order (reverse it for
        ``cv2.imwrite``).
    """
    valid = np.abs(normals).sum(axis=-1, keepdims=True) > 0
    encoded = np.clip(np.round(127.0 * normals + 128.0), 1, 255)
    return np.where(valid, encoded, 0).astype(np.uint8)


@TRANSFORMS.register_module()
class LoadSurfaceNormals(BaseTransform):
    """Load ``results['normal_map_path']`` as ``gt_normals``.

    The file is an 8-bit RGB PNG (x, y, z of the camera frame in R, G, B:
    x right, y down, z forward, each component ``c`` stored as
    ``round(127 * c + 128)``; black = no normal). ``gt_normals`` is
    float32 (H, W, 3), unit or zero, and joins ``seg_fields`` so that
    mmseg's geometric transforms move it with the image (flip it with
    :class:`MultiTaskRandomFlip`, which also mirrors the vectors).

    Args:
        backend_args (dict, optional): File backend arguments.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        self.backend_args = backend_args

    def transform(self, results: Dict) -> Dict:
        """Load, check and decode the normal map.

        Args:
            results (dict): Needs ``normal_map_path`` and ``seg_fields``.

        Returns:
            dict: With ``gt_normals``.
        """
        path = results['normal_map_path']
        encoded = datafrombytes(
            fileio.get(path, backend_args=self.backend_args), backend='cv2')
        if encoded.dtype != np.uint8 or encoded.ndim != 3 or \
                encoded.shape[2] != 3:
            raise ValueError(
                f'{path}: a normal map must be an 8-bit 3-channel PNG, got '
                f'{encoded.dtype} of shape {encoded.shape}')
        normals = decode_normals(mmcv.bgr2rgb(encoded))
        image_shape = results.get('ori_shape', normals.shape[:2])
        if normals.shape[:2] != tuple(image_shape):
            raise ValueError(
                f'{path} is {normals.shape[:2]}, its image '
                f"{results.get('img_path')} {tuple(image_shape)}: every task "
                'map must be the size of its image')
        results['gt_normals'] = normals
        results['seg_fields'].append('gt_normals')
        return results


@TRANSFORMS.register_module()
class MultiTaskRandomFlip(RandomFlip):
    """mmseg's ``RandomFlip`` that also mirrors the normals: a horizontal
    flip negates their x component (a vertical one y, a diagonal one both),
    as the mirrored scene's surfaces face the other way. Arguments are
    ``RandomFlip``'s."""

    def _flip(self, results: dict) -> None:
        """Flip the image and every map, then mirror the normals."""
        super()._flip(results)
        if results.get('gt_normals') is not None:
            results['gt_normals'] = mirror_normals(
                results['gt_normals'],
                results['flip_direction'],
                channel_axis=-1)


@TRANSFORMS.register_module()
class MultiTaskRandomResize(MMCV_RandomResize):
    """mmcv's ``RandomResize`` that resizes every task map with the image
    and divides the depth by the scale.

    Enlarging an image by :math:`s` shows the scene as from :math:`s` times
    closer, so its depth is divided by :math:`s` (the thesis's NYUD-v2
    augmentation: "depth ground truth normalised by the reshape scale", App.
    A.2.2); a pixel without depth (0) stays 0. The scale is the mean of the
    width and height factors of this resize. The maps (``seg_fields``) are
    resized by mmseg's ``Resize`` (nearest), whatever the default scope
    (mmcv's own would resize the labels alone). A map of another size than
    its image is refused, as resizing would stretch it silently.

    Args:
        scale (tuple): The base scale, as ``RandomResize``'s.
        ratio_range (tuple[float], optional): As ``RandomResize``'s.
        resize_type (str): The resize. Defaults to ``'mmseg.Resize'``.
        **resize_kwargs: ``Resize``'s arguments (e.g. ``keep_ratio``).
    """

    def __init__(self,
                 scale,
                 ratio_range=None,
                 resize_type: str = 'mmseg.Resize',
                 **resize_kwargs) -> None:
        super().__init__(
            scale,
            ratio_range=ratio_range,
            resize_type=resize_type,
            **resize_kwargs)

    def transform(self, results: dict) -> dict:
        """Check the maps' sizes, resize, then rescale ``gt_depth_map``.

        Args:
            results (dict): The sample.

        Returns:
            dict: The resized sample.
        """
        image_shape = results['img'].shape[:2]
        for key in results.get('seg_fields', []):
            if results[key].shape[:2] != image_shape:
                raise ValueError(
                    f'{key} of {results.get("img_path")} is '
                    f'{results[key].shape[:2]}, its image {image_shape}: '
                    'every task map must be the size of its image')
        results = super().transform(results)
        if results.get('gt_depth_map') is not None:
            scale = float(np.mean(results['scale_factor']))
            results['gt_depth_map'] = (results['gt_depth_map'] /
                                       scale).astype(np.float32)
        return results


@TRANSFORMS.register_module()
class PackMultiTaskInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also packs ``gt_normals`` (as a
    (3, H, W) ``PixelData``). Arguments are ``PackSegInputs``'s."""

    def transform(self, results: dict) -> dict:
        """Pack the image, the maps mmseg packs and the normals.

        Args:
            results (dict): The sample.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        packed = super().transform(results)
        if results.get('gt_normals') is not None:
            packed['data_samples'].gt_normals = PixelData(
                data=torch.from_numpy(
                    np.ascontiguousarray(results['gt_normals'].transpose(
                        2, 0, 1))))
        return packed

# Copyright (c) mmskd contributors. All rights reserved.
"""Precomputed flow as a data field, augmented with the frames it describes.

``LoadSequenceFlow`` reads a sequence sample's flow files (one per frame
pair, see :mod:`mmskd.models.flow.flow_io`) into ``results['gt_flow']``, an
(H, W, 2 * P) float32 array for P pairs, (dx, dy) of pair p in channels
2p and 2p + 1, and lists the key in ``results['flow_fields']``. mmseg's
geometric transforms handle ``seg_fields`` as label maps (nearest
resampling, values unchanged), which would be wrong for a flow: its vectors
change with the geometry. The ``Sequence*`` subclasses of mmseg's Resize,
RandomCrop and RandomFlip therefore also transform every ``flow_fields``
entry the way the frames move:

- resize: resample bilinearly and scale dx by the width ratio and dy by the
  height ratio (a displacement of d pixels spans d * s pixels after scaling
  by s);
- crop: crop (displacements are relative, so the values stay);
- flip: mirror and negate the component across the flip axis (a point at x
  moving by u is at W - 1 - x moving by -u after a horizontal flip).

``PackSequenceInputs`` packs the field as the data sample's ``gt_flow``,
(2 * P, H, W), which ``PrecomputedFlow`` takes in training.
"""
from typing import Dict, Optional, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform, to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import (LoadAnnotations, PackSegInputs,
                                       RandomCrop, RandomFlip, Resize)
from mmseg.registry import TRANSFORMS

from mmskd.models.flow.flow_io import read_flows

FLOW_KEY = 'gt_flow'
FLOW_FIELDS = 'flow_fields'


def resize_flow_field(flow: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resample a stacked flow field to ``size`` and rescale its vectors.

    Args:
        flow (np.ndarray): (H, W, 2 * P), (dx, dy) interleaved, in pixels.
        size (Tuple[int, int]): The new (H', W').

    Returns:
        np.ndarray: (H', W', 2 * P) float32, dx scaled by W' / W and dy by
        H' / H.
    """
    height, width = flow.shape[:2]
    if (height, width) == tuple(size):
        return flow
    # cv2 handles more than 4 channels (and the frames' 3 * L) alike.
    resized = mmcv.imresize(
        flow, (size[1], size[0]), interpolation='bilinear').reshape(
            size[0], size[1], flow.shape[2])
    resized[..., 0::2] *= size[1] / width
    resized[..., 1::2] *= size[0] / height
    return resized.astype(np.float32)


def flip_flow_field(flow: np.ndarray, direction: str) -> np.ndarray:
    """Mirror a stacked flow field and negate the mirrored component.

    Args:
        flow (np.ndarray): (H, W, 2 * P), (dx, dy) interleaved.
        direction (str): 'horizontal', 'vertical' or 'diagonal'.

    Returns:
        np.ndarray: The flipped field, contiguous.
    """
    flipped = mmcv.imflip(flow, direction=direction).copy()
    if direction in ('horizontal', 'diagonal'):
        flipped[..., 0::2] *= -1
    if direction in ('vertical', 'diagonal'):
        flipped[..., 1::2] *= -1
    return flipped


@TRANSFORMS.register_module()
class LoadSequenceFlow(BaseTransform):
    """Load a sequence sample's flow files into ``results['gt_flow']``.

    It follows ``LoadSequenceFrames`` (the files must be at the frames'
    resolution). Required keys: ``flow_paths``, ``img``. Added keys:
    ``gt_flow`` (H, W, 2 * len(flow_paths)) float32, ``flow_fields``.

    Args:
        optional (bool): Pass samples that list no flow file through
            unchanged instead of refusing them, so that one pipeline serves
            flow networks (no ``data_prefix['flow_path']``) and precomputed
            flow. Defaults to False.
    """

    def __init__(self, optional: bool = False) -> None:
        self.optional = optional

    def transform(self, results: Dict) -> Dict:
        """Read and stack the flow files of one sample.

        Args:
            results (dict): Needs ``flow_paths`` and the loaded ``img``.

        Returns:
            dict: ``results`` with ``gt_flow`` and ``flow_fields``.

        Raises:
            ValueError: If the sample lists no flow file (unless
                ``optional``) or a file's flow is not of the frames' size;
                bad files raise the errors of ``read_flow``. The message
                names the file.
        """
        paths = results.get('flow_paths') or ()
        if not paths:
            if self.optional:
                return results
            raise ValueError(
                f"LoadSequenceFlow: {results.get('img_path')} lists no flow "
                "file; set the dataset's data_prefix['flow_path'].")
        flows = read_flows(paths, results['img'].shape[:2])
        results[FLOW_KEY] = np.concatenate(list(flows), axis=2)
        fields = results.setdefault(FLOW_FIELDS, [])
        if FLOW_KEY not in fields:
            fields.append(FLOW_KEY)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(optional={self.optional})'


@TRANSFORMS.register_module()
class LoadSequenceAnnotations(LoadAnnotations):
    """mmseg's ``LoadAnnotations`` plus the sample's flow, if it lists any.

    It takes ``LoadAnnotations``' place in a sequence pipeline, so mmseg's
    pipeline positions (which the tools and tests index) are kept. Samples
    without flow files (a flow network computes the flow) only get their
    labels. The arguments are the parent's.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.flow_loader = LoadSequenceFlow(optional=True)

    def transform(self, results: Dict) -> Dict:
        """Load the labels, then the flow.

        Args:
            results (dict): As for ``LoadAnnotations`` and
                :class:`LoadSequenceFlow`.

        Returns:
            dict: ``results`` with the labels and, with flow files, the flow.
        """
        return self.flow_loader(super().transform(results))


@TRANSFORMS.register_module()
class SequenceResize(Resize):
    """mmseg's ``Resize`` that also resizes the ``flow_fields``.

    Use it as ``RandomResize``'s ``resize_type``. The arguments are the
    parent's.
    """

    def transform(self, results: Dict) -> Dict:
        """Resize the image, labels and flows.

        Args:
            results (dict): As for ``Resize``.

        Returns:
            dict: The resized results.
        """
        results = super().transform(results)
        for key in results.get(FLOW_FIELDS, []):
            results[key] = resize_flow_field(results[key],
                                             results['img_shape'])
        return results


@TRANSFORMS.register_module()
class SequenceRandomCrop(RandomCrop):
    """mmseg's ``RandomCrop`` that also crops the ``flow_fields``.

    The arguments are the parent's.
    """

    def transform(self, results: Dict) -> Dict:
        """Crop the image, labels and flows with one random box.

        Args:
            results (dict): As for ``RandomCrop``.

        Returns:
            dict: The cropped results.
        """
        crop_bbox = self.crop_bbox(results)
        for key in ['img'] + list(results.get('seg_fields', [])) + list(
                results.get(FLOW_FIELDS, [])):
            results[key] = self.crop(results[key], crop_bbox)
        results['img_shape'] = results['img'].shape[:2]
        return results


@TRANSFORMS.register_module()
class SequenceRandomFlip(RandomFlip):
    """mmseg's ``RandomFlip`` that also flips the ``flow_fields``.

    The arguments are the parent's.
    """

    def _flip(self, results: Dict) -> None:
        """Flip the image, labels and flows (see :func:`flip_flow_field`).

        Args:
            results (dict): With ``flip_direction`` drawn.
        """
        super()._flip(results)
        for key in results.get(FLOW_FIELDS, []):
            results[key] = flip_flow_field(results[key],
                                           results['flip_direction'])


@TRANSFORMS.register_module()
class PackSequenceInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` that also packs ``gt_flow``.

    The flow becomes the data sample's ``gt_flow``, a ``PixelData`` of
    shape (2 * P, H, W), float32. The arguments are the parent's.

    Args:
        meta_keys (Sequence[str], optional): The parent's meta keys.
    """

    def __init__(self, meta_keys: Optional[Tuple[str, ...]] = None) -> None:
        if meta_keys is None:
            super().__init__()
        else:
            super().__init__(meta_keys=meta_keys)

    def transform(self, results: Dict) -> Dict:
        """Pack the image, labels, flow and meta.

        Args:
            results (dict): The pipeline's results.

        Returns:
            dict: ``inputs`` and ``data_samples``.
        """
        packed = super().transform(results)
        if FLOW_KEY in results:
            flow = np.ascontiguousarray(results[FLOW_KEY].transpose(2, 0, 1))
            packed['data_samples'].set_data(
                {FLOW_KEY: PixelData(data=to_tensor(flow))})
        return packed

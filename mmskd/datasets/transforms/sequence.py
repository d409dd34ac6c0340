# Copyright (c) mmskd contributors. All rights reserved.
"""Load the frames of a sequence sample as one image, and augment them alike.

The frames of one sample are stacked on the channel axis, (H, W, 3 * L) in
the order of ``frame_paths``. mmseg's geometric transforms (Resize,
RandomResize, RandomCrop, RandomFlip) act on the whole array, so one random
draw resizes, crops and flips every frame the same way, as the flow between
them requires. Photometric changes convert colour spaces per 3-channel
image; :class:`SequencePhotoMetricDistortion` applies one draw to each frame.
"""
from typing import Dict, List, Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import BaseTransform
from mmseg.datasets.transforms import PhotoMetricDistortion
from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadSequenceFrames(BaseTransform):
    """Load ``results['frame_paths']`` into one channel-stacked image.

    It replaces ``LoadImageFromFile`` in a sequence pipeline. Required keys:
    ``frame_paths``. Added or updated keys: ``img`` (H, W, 3 * L),
    ``img_shape``, ``ori_shape``, ``num_frames``.

    Args:
        to_float32 (bool): Convert the frames to float32. Defaults to False.
        color_type (str): ``mmcv.imfrombytes``'s flag. Defaults to 'color'.
        imdecode_backend (str): The decoding backend. Defaults to 'cv2'.
        backend_args (dict, optional): File backend arguments.
    """

    def __init__(self,
                 to_float32: bool = False,
                 color_type: str = 'color',
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        self.to_float32 = to_float32
        self.color_type = color_type
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def transform(self, results: Dict) -> Dict:
        """Load and stack the frames.

        Args:
            results (dict): Needs ``frame_paths``.

        Returns:
            dict: ``results`` with the stacked image.

        Raises:
            ValueError: If a frame does not decode to a 3-channel image or
                differs in size from the first; the message names the file.
        """
        frames: List[np.ndarray] = []
        for path in results['frame_paths']:
            frame = mmcv.imfrombytes(
                fileio.get(path, backend_args=self.backend_args),
                flag=self.color_type,
                backend=self.imdecode_backend)
            if frame is None or frame.ndim != 3 or frame.shape[2] != 3:
                raise ValueError(f'frame {path} does not decode to a '
                                 '3-channel image.')
            if frames and frame.shape != frames[0].shape:
                raise ValueError(
                    f'frame {path} is {frame.shape[:2]}, but the first frame '
                    f"of its sample ({results['frame_paths'][0]}) is "
                    f'{frames[0].shape[:2]}; the frames of a sequence must '
                    'have one size.')
            frames.append(frame)
        img = np.concatenate(frames, axis=2)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['num_frames'] = len(frames)
        return results


@TRANSFORMS.register_module()
class SequencePhotoMetricDistortion(PhotoMetricDistortion):
    """mmseg's ``PhotoMetricDistortion`` with one draw for all frames.

    The distortion's random draws (which steps run, their amounts) do not
    depend on the image, so replaying numpy's random state for each 3-channel
    frame of a channel-stacked image gives every frame the same brightness,
    contrast, saturation and hue change; the occlusion mask of the temporal
    loss compares frames, and would otherwise see the augmentation as
    motion. A plain 3-channel image is distorted as by the parent. The
    arguments are the parent's.
    """

    def transform(self, results: dict) -> dict:
        """Distort each frame of ``results['img']`` with one draw.

        Args:
            results (dict): Needs ``img`` of shape (H, W, 3 * L).

        Returns:
            dict: ``results`` with the distorted image.
        """
        img = results['img']
        if img.shape[2] % 3:
            raise ValueError('SequencePhotoMetricDistortion expects 3 '
                             f'channels per frame, got {img.shape[2]}.')
        state = np.random.get_state()
        frames = []
        for start in range(0, img.shape[2], 3):
            np.random.set_state(state)
            frame = dict(img=np.ascontiguousarray(img[..., start:start + 3]))
            frames.append(super().transform(frame)['img'])
        results['img'] = np.concatenate(frames, axis=2)
        return results

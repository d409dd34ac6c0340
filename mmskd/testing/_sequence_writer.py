# Copyright (c) mmskd contributors. All rights reserved.
"""A generated Cityscapes-sequence dataset whose frames move by a known shift.

Frame t of a snippet is a window of one large random scene, moved so that
the pixel at (x, y) of frame t is at (x + DX, y + DY) of frame t + 1. The
flow from frame t to frame t + k is therefore (k * DX, k * DY) everywhere
(``ConstantFlow(dx=DX, dy=DY, per_frame=True)`` is the true flow), except
where the scene enters the window at its border.
"""
import os
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

DX, DY = 2, 1
LABELLED = 19  # Cityscapes: the 20th frame of a snippet
FRAMES = range(16, 23)  # the sequence frames written around it
MARGIN = 16


def _scene(rng: np.random.Generator, height: int, width: int,
           num_classes: int) -> tuple:
    """A textured scene of rectangles and its label map."""
    labels = np.zeros((height, width), np.uint8)
    image = rng.integers(0, 40, (height, width, 3)).astype(np.uint8)
    for _ in range(8):
        y0, x0 = rng.integers(0, height - 12), rng.integers(0, width - 12)
        y1, x1 = y0 + rng.integers(8, height // 2), x0 + rng.integers(
            8, width // 2)
        cls = int(rng.integers(num_classes))
        labels[y0:y1, x0:x1] = cls
        image[y0:y1, x0:x1] = (37 * cls % 255, 91 * cls % 255, 53 * cls % 255)
    noise = rng.integers(-20, 20, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8), labels


def frame_window(scene: np.ndarray, frame: int, height: int,
                 width: int) -> np.ndarray:
    """Frame ``frame``'s window of the scene (moves by (DX, DY) a frame)."""
    step = frame - FRAMES[0]
    top, left = MARGIN - step * DY, MARGIN - step * DX
    return scene[top:top + height, left:left + width]


def write_cityscapes_sequences(root: str,
                               splits: Sequence[str] = ('train', 'val'),
                               num_snippets: int = 4,
                               height: int = 64,
                               width: int = 128,
                               num_classes: int = 19,
                               flow_ext: str = '',
                               seed: int = 0) -> str:
    """Write labelled frames, their labels, sequences and optionally flow.

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): Splits to write.
        num_snippets (int): Snippets (labelled frames) per split.
        height (int): Frame height.
        width (int): Frame width.
        num_classes (int): Number of label ids used.
        flow_ext (str): '.npy' or '.flo' writes the true flow between every
            two written frames of a snippet; '' writes none.
        seed (int): Random seed.

    Returns:
        str: ``root``.
    """
    from mmskd.models.flow import write_flo
    rng = np.random.default_rng(seed)
    span = MARGIN * 2 + len(FRAMES) * max(DX, DY)
    for split in splits:
        dirs = {
            key: osp.join(root, key, split, 'city')
            for key in ('leftImg8bit', 'gtFine', 'leftImg8bit_sequence',
                        'flow')
        }
        for folder in dirs.values():
            os.makedirs(folder, exist_ok=True)
        for index in range(num_snippets):
            image, labels = _scene(rng, height + span, width + span,
                                   num_classes)
            prefix = f'city_{index:06d}'
            for frame in FRAMES:
                name = f'{prefix}_{frame:06d}_leftImg8bit.png'
                window = frame_window(image, frame, height, width)
                cv2.imwrite(
                    osp.join(dirs['leftImg8bit_sequence'], name), window)
                for other in FRAMES if flow_ext else ():
                    flow = np.zeros((height, width, 2), np.float32)
                    flow[..., 0], flow[..., 1] = ((other - frame) * DX,
                                                  (other - frame) * DY)
                    path = osp.join(
                        dirs['flow'], f'{prefix}_{frame:06d}_{other:06d}'
                        f'{flow_ext}')
                    if flow_ext == '.npy':
                        np.save(path, flow)
                    else:
                        write_flo(path, flow)
            stem = f'{prefix}_{LABELLED:06d}'
            cv2.imwrite(
                osp.join(dirs['leftImg8bit'], f'{stem}_leftImg8bit.png'),
                frame_window(image, LABELLED, height, width))
            cv2.imwrite(
                osp.join(dirs['gtFine'], f'{stem}_gtFine_labelTrainIds.png'),
                frame_window(labels, LABELLED, height, width))
    return root


def tiny_video_options(cfg, data_root: str, **kwargs) -> dict:
    """``tiny_seg_options`` for a video config, with the true flow.

    A video distill config shrinks like any distill config; a
    ``TemporalTraining`` config has one network, which gets the student's
    tiny width. The flow source becomes the generated data's true flow and
    MF's nodes fit the tiny feature maps.

    Args:
        cfg (Config): The loaded video config.
        data_root (str): Written by :func:`write_cityscapes_sequences`.
        **kwargs: ``max_iters``, ``val_interval``.

    Returns:
        dict: Dotted overrides.
    """
    from mmskd.benchmark.tiny import resolved_model, tiny_segmentor_options
    from mmskd.testing import tiny_seg_data_options, tiny_seg_options
    if 'teacher' in cfg.model:
        options = tiny_seg_options(cfg, data_root, **kwargs)
    else:
        options = tiny_seg_data_options(cfg, data_root, **kwargs)
        options['model.architecture.init_cfg'] = None
        options['model.architecture.data_preprocessor.size'] = (64, 128)
        options.update(
            tiny_segmentor_options('model.architecture',
                                   resolved_model(cfg.model.architecture)))
    options['model.flow_source'] = dict(
        _delete_=True, type='ConstantFlow', dx=DX, dy=DY, per_frame=True)
    if cfg.model.get('multi_frame_loss'):
        options['model.multi_frame_loss.node_size'] = 4
    return options

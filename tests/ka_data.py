# Copyright (c) mmskd contributors. All rights reserved.
"""Generated Pascal VOC data and tiny-model overrides for the knowledge-
adaptation configs (configs/ka).

``PascalVOCDataset`` (mmseg 1.2.2) lists the stems of ``ann_file`` and reads
``JPEGImages/{stem}.jpg`` with ``{seg_map_path}/{stem}.png``; mmseg's
``pascal_voc12_aug`` base trains on the concatenation of ``train.txt``
(``SegmentationClass``) and ``aug.txt`` (``SegmentationClassAug``) and
validates on ``val.txt``. Label maps hold class ids 0..20 and 255 (ignored).

Test helper for now (as depth_data.py); it belongs in ``mmskd/testing``
once that is settled.
"""
import os
import os.path as osp
from typing import Any, Dict, Tuple

import cv2
from mmengine.config import Config

from mmskd.testing import tiny_seg_options
from mmskd.testing._writers import _segmentation_sample

# VOC split -> (its list file, the label folder).
VOC_SPLITS = dict(
    train=('train.txt', 'SegmentationClass'),
    aug=('aug.txt', 'SegmentationClassAug'),
    val=('val.txt', 'SegmentationClass'))
# A MobileNetV2 at 1/4 width: its last stage has make_divisible(320 / 4, 8)
# = 80 channels; the head 16 (the tiny teacher's head is 32 wide).
TINY_STUDENT = {
    'model.architecture.pretrained': None,
    'model.architecture.backbone.widen_factor': 0.25,
    'model.architecture.decode_head.in_channels': 80,
    'model.architecture.decode_head.channels': 16,
}
STUDENT_FEATURE, TEACHER_FEATURE = 16, 32
# The Pad of mmseg's VOC-aug train pipeline (after the photometric step).
VOC_TRAIN_PAD = 6


def write_voc_like(root: str,
                   num_images: int = 4,
                   height: int = 64,
                   width: int = 64,
                   seed: int = 0) -> str:
    """Write a ``VOCdevkit/VOC2012``-layout dataset for ``pascal_voc12_aug``.

    Args:
        root (str): The dataset root (mmseg's ``data/VOCdevkit/VOC2012``).
        num_images (int): Images per split (train, aug, val).
        height (int): Image height.
        width (int): Image width.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    import numpy as np
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'JPEGImages'), exist_ok=True)
    os.makedirs(osp.join(root, 'ImageSets', 'Segmentation'), exist_ok=True)
    for split, (list_file, label_dir) in VOC_SPLITS.items():
        os.makedirs(osp.join(root, label_dir), exist_ok=True)
        stems = [f'2007_{split}{index:04d}' for index in range(num_images)]
        for stem in stems:
            image, labels = _segmentation_sample(rng, height, width, 21)
            cv2.imwrite(osp.join(root, 'JPEGImages', f'{stem}.jpg'), image)
            cv2.imwrite(osp.join(root, label_dir, f'{stem}.png'), labels)
        with open(osp.join(root, 'ImageSets', 'Segmentation', list_file),
                  'w') as file:
            file.write('\n'.join(stems) + '\n')
    return root


def _for_concat_dataset(options: Dict[str, Any], cfg: Config,
                        image_size: Tuple[int, int]) -> Dict[str, Any]:
    """Move ``train_dataloader.dataset.*`` overrides into each dataset of a
    ``ConcatDataset`` (VOC trainaug), and shrink its Pad."""
    prefix = 'train_dataloader.dataset.'
    datasets = cfg.train_dataloader.dataset.datasets
    moved = {
        key: value
        for key, value in options.items() if not key.startswith(prefix)
    }
    for index in range(len(datasets)):
        inner = f'{prefix}datasets.{index}.'
        for key, value in options.items():
            if key.startswith(prefix):
                moved[inner + key[len(prefix):]] = value
        moved[f'{inner}pipeline.{VOC_TRAIN_PAD}.size'] = tuple(image_size)
    return moved


def tiny_ka_options(cfg: Config,
                    data_root: str,
                    image_size: Tuple[int, int],
                    max_iters: int = 2,
                    teacher_ckpt: str = None) -> Dict[str, Any]:
    """Overrides for a few CPU iterations of a configs/ka leaf.

    The teacher becomes mmskd's tiny ResNet-18 (``tiny_seg_options``), the
    student a MobileNetV2 at 1/4 width (``TINY_STUDENT``); FitNet's chained
    regressor gets their widths. Phase-1 configs (one epoch, no validation)
    keep their epoch loop and get no validation overrides.

    Args:
        cfg (Config): The loaded leaf config.
        data_root (str): Generated data in the layout of its dataset.
        image_size (tuple): (height, width) of the generated images.
        max_iters (int): Iterations of an iteration-based config.
        teacher_ckpt (str, optional): The teacher's weights.

    Returns:
        dict: Dotted keys to values.
    """
    options = tiny_seg_options(
        cfg,
        data_root,
        max_iters=max_iters,
        val_interval=max_iters,
        image_size=image_size)
    options = {
        key: value
        for key, value in options.items()
        if not key.startswith('model.architecture.')
        or key.endswith('data_preprocessor.size')
    }
    options.update(TINY_STUDENT)
    options['model.teacher_ckpt'] = teacher_ckpt
    if cfg.train_cfg.type == 'EpochBasedTrainLoop':
        for key in ('train_cfg.max_iters', 'train_cfg.val_interval',
                    'default_hooks.checkpoint.interval'):
            options.pop(key)
    if cfg.val_dataloader is None:
        options = {
            key: value
            for key, value in options.items()
            if not key.startswith('val_dataloader.')
        }
    if isinstance(
            cfg.model.distiller.get('connectors', {}).get('regressor'), list):
        options['model.distiller.connectors.regressor.0.in_channel'] = \
            STUDENT_FEATURE
        options['model.distiller.connectors.regressor.0.out_channel'] = \
            TEACHER_FEATURE
    if cfg.train_dataloader.dataset.type == 'ConcatDataset':
        options = _for_concat_dataset(options, cfg, image_size)
    return options

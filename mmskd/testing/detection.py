# Copyright (c) mmskd contributors. All rights reserved.
"""A COCO-layout dataset and tiny-detector overrides for CPU smoke runs.

``write_coco_like`` writes images and ``instances_*.json`` files that mmdet's
``CocoDataset`` and ``CocoMetric`` (pycocotools) read like the real COCO.
``tiny_det_options`` returns ordinary dotted ``--cfg-options`` that shrink an
mmskd detection config (or a plain mmdet config) to a CPU run of one
iteration, so tests exercise the very files users train with.
"""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.config import Config

# ResNet base widths of the tiny models (stage i has base * 2**i channels,
# times 4 for bottleneck blocks).
TINY_DET_WIDTH = dict(architecture=8, teacher=16)
# FPN and head channels, the same for teacher and student (channel-wise
# terms compare FPN channels one to one). GN necks and heads use 32 groups,
# and GroupNorm refuses a group of one value: P7 of a 128 x 96 image is
# 1 x 1, so each group needs 2 channels.
TINY_DET_CHANNELS = 64
RESIZE_TYPES = ('Resize', 'RandomResize', 'RandomChoiceResize')
RESNET_TYPES = ('ResNet', 'ResNetV1d', 'ResNeXt')
# mmdet's MobileNetV2 shrinks by width: the widths of its out_indices 0-6 at
# 1/4 (make_divisible(c / 4, 8) of 16, 24, 32, 64, 96, 160, 320).
MOBILENET_WIDEN = 0.25
MOBILENET_WIDTHS = (8, 8, 8, 16, 24, 40, 80)


def _coco_categories() -> List[dict]:
    """The 80 COCO categories by name (ids 1..80), as ``CocoDataset`` reads."""
    from mmdet.datasets import CocoDataset
    return [
        dict(id=index + 1, name=name, supercategory='thing')
        for index, name in enumerate(CocoDataset.METAINFO['classes'])
    ]


def _random_image(rng: np.random.Generator, height: int, width: int,
                  num_boxes: int, num_classes: int) -> tuple:
    """An image of a few coloured rectangles and their (x, y, w, h, cls)."""
    image = np.empty((height, width, 3), np.uint8)
    image[:] = rng.integers(0, 255, 3)
    boxes = []
    for _ in range(num_boxes):
        box_w = int(rng.integers(width // 6, width // 2))
        box_h = int(rng.integers(height // 6, height // 2))
        x0 = int(rng.integers(0, width - box_w))
        y0 = int(rng.integers(0, height - box_h))
        cls = int(rng.integers(num_classes))
        image[y0:y0 + box_h,
              x0:x0 + box_w] = (37 * cls % 255, 91 * cls % 255, 53 * cls % 255)
        boxes.append((x0, y0, box_w, box_h, cls))
    noise = rng.integers(-10, 10, image.shape)
    image = np.clip(image.astype(int) + noise, 0, 255).astype(np.uint8)
    return image, boxes


def write_coco_like(root: str,
                    num_train: int = 2,
                    num_val: int = 2,
                    height: int = 96,
                    width: int = 128,
                    num_boxes: int = 3,
                    seed: int = 0) -> str:
    """Write a COCO 2017-layout detection dataset.

    Images go to ``{train,val}2017/*.jpg`` and the instances to
    ``annotations/instances_{train,val}2017.json`` (all 80 COCO categories,
    ``bbox`` as x, y, w, h, with ``area``, ``iscrowd`` and a rectangle
    ``segmentation``), the files mmdet's ``coco_detection.py`` names.

    Args:
        root (str): The dataset root to create.
        num_train (int): Training images.
        num_val (int): Validation images.
        height (int): Image height.
        width (int): Image width.
        num_boxes (int): Objects per image.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    categories = _coco_categories()
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    annotation_id = 1
    for split, num_images in (('train2017', num_train), ('val2017', num_val)):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for index in range(num_images):
            image_id = index + 1
            file_name = f'{image_id:012d}.jpg'
            image, boxes = _random_image(rng, height, width, num_boxes,
                                         len(categories))
            cv2.imwrite(osp.join(root, split, file_name), image)
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=height,
                    width=width))
            for x, y, w, h, cls in boxes:
                annotations.append(
                    dict(
                        id=annotation_id,
                        image_id=image_id,
                        category_id=categories[cls]['id'],
                        bbox=[float(x), float(y),
                              float(w), float(h)],
                        area=float(w * h),
                        iscrowd=0,
                        segmentation=[[x, y, x + w, y, x + w, y + h, x,
                                       y + h]]))
                annotation_id += 1
        with open(
                osp.join(root, 'annotations', f'instances_{split}.json'),
                'w') as file:
            json.dump(
                dict(
                    images=images,
                    annotations=annotations,
                    categories=categories), file)
    return root


def _tiny_backbone(prefix: str, backbone: dict,
                   base: int) -> Tuple[Dict[str, Any], List[int]]:
    """Overrides for a small ResNet-family (or MobileNetV2) backbone and
    its stage widths.

    Plain ResNets become ResNet-18. ResNeXt and backbones with DCN keep their
    type and DCN on a 50-layer bottleneck net (the smallest depth they
    support), ResNeXt with 2 groups of ``base / 2`` so that stage widths stay
    ``base * 2**i``.
    """
    kind = backbone.get('type', '').split('.')[-1]
    if kind == 'MobileNetV2':
        return ({
            f'{prefix}.backbone.widen_factor': MOBILENET_WIDEN,
            f'{prefix}.backbone.init_cfg': None,
        }, [MOBILENET_WIDTHS[i] for i in backbone['out_indices']])
    if kind not in RESNET_TYPES:
        raise NotImplementedError(
            f'tiny_det_options shrinks ResNet-family backbones, not '
            f'{backbone.get("type")!r} ({prefix}.backbone).')
    key = f'{prefix}.backbone'
    options: Dict[str, Any] = {
        f'{key}.base_channels': base,
        f'{key}.stem_channels': base,
        f'{key}.init_cfg': None,
    }
    bottleneck = kind == 'ResNeXt' or backbone.get('dcn') is not None
    options[f'{key}.depth'] = 50 if bottleneck else 18
    if kind == 'ResNeXt':
        options[f'{key}.groups'] = 2
        options[f'{key}.base_width'] = base // 2
    expansion = 4 if bottleneck else 1
    out_indices = backbone.get('out_indices', (0, 1, 2, 3))
    return options, [base * 2**i * expansion for i in out_indices]


def _tiny_detector(prefix: str, model: dict, base: int) -> Dict[str, Any]:
    """Overrides turning a one-stage FPN detector into a tiny one."""
    options, stage_channels = _tiny_backbone(prefix, model['backbone'], base)
    channels = TINY_DET_CHANNELS
    options[f'{prefix}.neck.in_channels'] = stage_channels
    options[f'{prefix}.neck.out_channels'] = channels
    head = model.get('bbox_head', {})
    options[f'{prefix}.bbox_head.in_channels'] = channels
    options[f'{prefix}.bbox_head.feat_channels'] = channels
    if 'stacked_convs' in head:
        options[f'{prefix}.bbox_head.stacked_convs'] = 1
    if head.get('type', '').endswith('RepPointsHead'):
        options[f'{prefix}.bbox_head.point_feat_channels'] = channels
    if model.get('pretrained') is not None:
        options[f'{prefix}.pretrained'] = None
    # An untrained detector scores every box near its prior (0.01 with focal
    # loss), under mmdet's 0.05 threshold; keep its boxes so that CocoMetric
    # has detections to score.
    if 'test_cfg' in model:
        options[f'{prefix}.test_cfg.score_thr'] = 0.0
    return options


def _resize_options(prefix: str, pipeline: List[dict],
                    scale: Tuple[int, int]) -> Dict[str, Any]:
    """Overrides setting every resize of ``pipeline`` to ``scale`` (w, h)."""
    options: Dict[str, Any] = {}
    for index, transform in enumerate(pipeline):
        kind = transform.get('type')
        if kind not in RESIZE_TYPES:
            continue
        if 'scales' in transform:  # RandomChoiceResize
            options[f'{prefix}.{index}.scales'] = [scale]
        elif isinstance(transform.get('scale'), list):  # RandomResize range
            options[f'{prefix}.{index}.scale'] = [scale, scale]
        else:
            options[f'{prefix}.{index}.scale'] = scale
    return options


def tiny_det_options(cfg: Config,
                     data_root: str,
                     image_size: Tuple[int, int] = (96, 128),
                     max_epochs: int = 1) -> Dict[str, Any]:
    """Overrides for one CPU epoch (1 iteration) of a detection config.

    Works on mmskd distill configs (``model.architecture`` and
    ``model.teacher``) and on plain mmdet configs (``model``, shrunk like a
    distill config's student, so a converted student checkpoint fits it).
    The models become ResNet-18 (or 50-layer for ResNeXt/DCN teachers) of
    small width with 64-channel FPNs and heads, without pretrained weights;
    images are resized to ``image_size``; loaders run in-process.

    With ``write_coco_like``'s default 2 training images and the configs'
    batch size 2, one epoch is one iteration, followed by validation on the
    2 validation images.

    Args:
        cfg (Config): The loaded config (read for its model and pipelines).
        data_root (str): A dataset written by ``write_coco_like``.
        image_size (tuple): (height, width) to resize the images to.
        max_epochs (int): Training epochs.

    Returns:
        dict: Dotted keys to values, for ``Config.merge_from_dict`` or
        ``format_cfg_options``.
    """
    height, width = image_size
    scale = (width, height)
    ann_file = osp.join(data_root, 'annotations', 'instances_val2017.json')
    options: Dict[str, Any] = {
        'train_cfg.max_epochs': max_epochs,
        'train_cfg.val_interval': 1,
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': 2,
        'val_evaluator.ann_file': ann_file,
        'test_evaluator.ann_file': ann_file,
    }
    for split in ('train', 'val', 'test'):
        loader = f'{split}_dataloader'
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        options[f'{loader}.dataset.data_root'] = data_root
        options.update(
            _resize_options(f'{loader}.dataset.pipeline',
                            cfg[loader].dataset.pipeline, scale))
    model = cfg.model
    if 'architecture' in model and 'teacher' in model:
        options['model.teacher_ckpt'] = None
        for role, base in TINY_DET_WIDTH.items():
            options.update(
                _tiny_detector(f'model.{role}', _resolved_model(model[role]),
                               base))
        if model.get('discriminator') is not None:
            options['model.discriminator.base_channels'] = 8
    else:
        options.update(
            _tiny_detector('model', model, TINY_DET_WIDTH['architecture']))
    return options


def _resolved_model(model_cfg: dict) -> dict:
    """The model dict behind a ``cfg_path`` reference, overrides merged."""
    from mmskd.models.utils import load_model_cfg
    return load_model_cfg(model_cfg)


def tiny_det_cfg(config: str,
                 data_root: str,
                 work_dir: Optional[str] = None,
                 **kwargs) -> Config:
    """Load a detection config and shrink it with ``tiny_det_options``.

    Args:
        config (str): The config file.
        data_root (str): A dataset written by ``write_coco_like``.
        work_dir (str, optional): Set as ``cfg.work_dir``.
        **kwargs: Passed to ``tiny_det_options``.

    Returns:
        Config: The shrunk config.
    """
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_det_options(cfg, data_root, **kwargs))
    if work_dir is not None:
        cfg.work_dir = work_dir
    return cfg

# Copyright (c) mmskd contributors. All rights reserved.
"""Small random datasets in the on-disk layouts of Cityscapes, ADE20K,
Pascal VOC (with SBD's aug split) and COCO, for smoke runs of the real
configs.

Every image shows a few rectangles on a plain background, each coloured by
its class (so a model can learn something in a few iterations) and with
pixel noise. One writer per layout; all put their files on disk through
:func:`mmskd.datasets.write_image_and_labels`.
"""
import json
import os
import os.path as osp
from typing import List, Sequence, Tuple

import numpy as np

from mmskd.datasets import write_cityscapes_split, write_image_and_labels

# (x, y, width, height, class index) of one rectangle.
Box = Tuple[int, int, int, int, int]
# Rectangles per segmentation image, and the fraction of its pixels that
# are labelled 255 (ignored), as real label maps have some.
SEG_RECTANGLES = 4
IGNORED_FRACTION = 0.02
# Split -> (mmseg's ADE20K folder, ADE20K's file-name part).
ADE20K_SPLITS = dict(train=('training', 'train'), val=('validation', 'val'))
# VOC split -> the label folder of its list ImageSets/Segmentation/{split}.txt.
VOC_SPLITS = dict(
    train='SegmentationClass', aug='SegmentationClassAug',
    val='SegmentationClass')


def _rectangles(rng: np.random.Generator, height: int, width: int,
                num_boxes: int, num_classes: int) -> Tuple[np.ndarray, list]:
    """An image of class-coloured rectangles and their boxes.

    Args:
        rng (np.random.Generator): The source of randomness.
        height (int): Image height.
        width (int): Image width.
        num_boxes (int): Rectangles to draw, later ones over earlier ones.
        num_classes (int): Classes are drawn from [0, num_classes).

    Returns:
        tuple: The BGR uint8 (H, W, 3) image and its ``Box`` list, each
        rectangle inside the image and 1/6 to 1/2 of its size.
    """
    image = np.empty((height, width, 3), np.uint8)
    image[:] = rng.integers(0, 255, 3)
    boxes: List[Box] = []
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


def _segmentation_sample(rng: np.random.Generator, height: int, width: int,
                         num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """An image of rectangles and its label map in train ids.

    Args:
        rng (np.random.Generator): The source of randomness.
        height (int): Image height.
        width (int): Image width.
        num_classes (int): Labels are drawn from [0, num_classes).

    Returns:
        tuple: The BGR uint8 image and its uint8 (H, W) label map: a random
        background class, the rectangles' classes and ``IGNORED_FRACTION``
        of the pixels at 255.
    """
    image, boxes = _rectangles(rng, height, width, SEG_RECTANGLES, num_classes)
    labels = np.full((height, width), rng.integers(num_classes), np.uint8)
    for x0, y0, box_w, box_h, cls in boxes:
        labels[y0:y0 + box_h, x0:x0 + box_w] = cls
    labels[rng.random((height, width)) < IGNORED_FRACTION] = 255
    return image, labels


def write_cityscapes_like(root: str,
                          splits: Sequence[str] = ('train', 'val'),
                          num_images: int = 4,
                          height: int = 64,
                          width: int = 128,
                          num_classes: int = 19,
                          seed: int = 0) -> str:
    """Write a Cityscapes-layout dataset that ``CityscapesDataset`` reads.

    Images go to ``leftImg8bit/{split}/city/*_leftImg8bit.png`` and train-id
    label maps to ``gtFine/{split}/city/*_gtFine_labelTrainIds.png``.

    Args:
        root (str): The dataset root to create.
        splits (Sequence[str]): Which splits to write.
        num_images (int): Images per split.
        height (int): Image height.
        width (int): Image width.
        num_classes (int): Number of label ids used (255 is ignored).
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        write_cityscapes_split(
            root, split, (_segmentation_sample(rng, height, width, num_classes)
                          for _ in range(num_images)))
    return root


def write_ade20k_like(root: str,
                      splits: Sequence[str] = ('train', 'val'),
                      num_images: int = 4,
                      height: int = 64,
                      width: int = 128,
                      num_classes: int = 150,
                      seed: int = 0) -> str:
    """Write an ADE20K-layout dataset that ``ADE20KDataset`` reads.

    Images go to ``images/{training,validation}/*.jpg`` and label maps to
    ``annotations/{training,validation}/*.png``. The label maps use ADE20K's
    own ids: 0 is "other" (ignored, since mmseg's ADE20K pipelines load
    annotations with ``reduce_zero_label=True``) and 1..150 are the classes,
    which that reduction turns into train ids 0..149.

    Takes the arguments of :func:`write_cityscapes_like`; ``splits`` are
    ``'train'`` and ``'val'``, ``num_classes`` (at most 150) counts the
    classes without "other".

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    for split in splits:
        folder, name = ADE20K_SPLITS[split]
        for index in range(num_images):
            image, train_ids = _segmentation_sample(rng, height, width,
                                                    num_classes)
            # Train id t is ADE20K id t + 1; ignored pixels (255) become 0.
            labels = np.where(train_ids == 255, 0, train_ids + 1)
            stem = f'ADE_{name}_{index + 1:08d}'
            write_image_and_labels(
                osp.join(root, 'images', folder, f'{stem}.jpg'), image,
                osp.join(root, 'annotations', folder, f'{stem}.png'),
                labels.astype(np.uint8))
    return root


def write_voc_like(root: str,
                   num_images: int = 4,
                   height: int = 64,
                   width: int = 64,
                   seed: int = 0) -> str:
    """Write a ``VOCdevkit/VOC2012``-layout dataset for mmseg's
    ``pascal_voc12_aug`` base.

    ``PascalVOCDataset`` lists the stems of ``ImageSets/Segmentation/
    {split}.txt`` and reads ``JPEGImages/{stem}.jpg`` with
    ``{label folder}/{stem}.png`` (``VOC_SPLITS``): the base trains on the
    concatenation of train and aug and validates on val. Label maps hold
    class ids 0..20 (0 is background) and 255 (ignored).

    Args:
        root (str): The dataset root (mmseg's ``data/VOCdevkit/VOC2012``).
        num_images (int): Images per split (train, aug, val).
        height (int): Image height.
        width (int): Image width.
        seed (int): Random seed; the same seed writes the same files.

    Returns:
        str: ``root``.
    """
    rng = np.random.default_rng(seed)
    lists = osp.join(root, 'ImageSets', 'Segmentation')
    os.makedirs(lists, exist_ok=True)
    for split, label_folder in VOC_SPLITS.items():
        stems = [f'2007_{split}{index:04d}' for index in range(num_images)]
        for stem in stems:
            image, labels = _segmentation_sample(rng, height, width, 21)
            write_image_and_labels(
                osp.join(root, 'JPEGImages', f'{stem}.jpg'), image,
                osp.join(root, label_folder, f'{stem}.png'), labels)
        with open(osp.join(lists, f'{split}.txt'), 'w') as file:
            file.write('\n'.join(stems) + '\n')
    return root


def _coco_categories() -> List[dict]:
    """The 80 COCO categories by name (ids 1..80), as ``CocoDataset`` reads.

    Returns:
        list[dict]: ``id``, ``name`` and ``supercategory`` of each.
    """
    from mmdet.datasets import CocoDataset
    return [
        dict(id=index + 1, name=name, supercategory='thing')
        for index, name in enumerate(CocoDataset.METAINFO['classes'])
    ]


def _coco_annotation(annotation_id: int, image_id: int, category_id: int,
                     box: Box) -> dict:
    """One COCO instance: a box and its rectangle as the segmentation.

    Args:
        annotation_id (int): The instance's unique id.
        image_id (int): The id of its image.
        category_id (int): Its COCO category id.
        box (Box): Its rectangle (the class index is not read).

    Returns:
        dict: The ``annotations`` entry of ``instances_*.json``.
    """
    x, y, w, h, _ = box
    return dict(
        id=annotation_id,
        image_id=image_id,
        category_id=category_id,
        bbox=[float(x), float(y), float(w),
              float(h)],
        area=float(w * h),
        iscrowd=0,
        segmentation=[[x, y, x + w, y, x + w, y + h, x, y + h]])


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
    ``segmentation``), the files mmdet's ``coco_detection.py`` names, which
    mmdet's ``CocoDataset`` and ``CocoMetric`` (pycocotools) read like the
    real COCO.

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
        images, annotations = [], []
        for index in range(num_images):
            image_id = index + 1
            file_name = f'{image_id:012d}.jpg'
            image, boxes = _rectangles(rng, height, width, num_boxes,
                                       len(categories))
            write_image_and_labels(osp.join(root, split, file_name), image)
            images.append(
                dict(
                    id=image_id,
                    file_name=file_name,
                    height=height,
                    width=width))
            for box in boxes:
                annotations.append(
                    _coco_annotation(annotation_id, image_id,
                                     categories[box[-1]]['id'], box))
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

# Copyright (c) mmskd contributors. All rights reserved.
"""What the benchmark knows per task: the student's head, synthetic batches
and the ``--tiny`` preset.

A batch is what a dataset pipeline's packing transform and the collate
function hand to ``train_step``: uint8 (3, H, W) images and data samples
with ground truth, which the model's data preprocessor normalises. A new
task adds one row to ``TASKS``.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Sequence

import torch
from mmengine.config import Config

from .tiny import tiny_det_model_options, tiny_seg_model_options

# Ground-truth boxes per synthetic detection image.
BOXES_PER_IMAGE = 3


def _random_images(batch: int, shape: Sequence[int],
                   generator: torch.Generator) -> list:
    height, width = shape
    return [
        torch.randint(
            0, 256, (3, height, width), dtype=torch.uint8, generator=generator)
        for _ in range(batch)
    ]


def _image_metainfo(shape: Sequence[int]) -> dict:
    """The metainfo of an image that the pipeline did not resize or flip."""
    height, width = shape
    return dict(
        ori_shape=(height, width),
        img_shape=(height, width),
        scale_factor=(1.0, 1.0),
        flip=False,
        flip_direction=None)


def synthetic_seg_batch(batch: int,
                        shape: Sequence[int],
                        num_classes: int,
                        seed: int = 0) -> Dict[str, list]:
    """A batch as mmseg's ``PackSegInputs`` + collate would produce it.

    Args:
        batch (int): Number of images.
        shape (Sequence[int]): (height, width).
        num_classes (int): Labels are drawn from [0, num_classes).
        seed (int): Seed of the generator.

    Returns:
        dict: ``inputs`` (uint8 (3, H, W) tensors) and ``data_samples``
        (``SegDataSample`` with ``gt_sem_seg`` and image metainfo).
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    height, width = shape
    generator = torch.Generator().manual_seed(seed)
    inputs = _random_images(batch, shape, generator)
    samples = []
    for _ in range(batch):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=torch.randint(
                0, num_classes, (1, height, width), generator=generator))
        sample.set_metainfo(
            dict(
                _image_metainfo(shape),
                pad_shape=(height, width),
                reduce_zero_label=False))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def synthetic_det_batch(batch: int,
                        shape: Sequence[int],
                        num_classes: int,
                        seed: int = 0) -> Dict[str, list]:
    """A batch as mmdet's ``PackDetInputs`` + collate would produce it.

    Each image has ``BOXES_PER_IMAGE`` random boxes inside it, 1/8 to 1/2 of
    its size, as ``HorizontalBoxes`` with random labels, and no ignored
    instances. The data preprocessor adds ``pad_shape`` and
    ``batch_input_shape``. Takes the arguments of
    :func:`synthetic_seg_batch`.

    Returns:
        dict: ``inputs`` (uint8 (3, H, W) tensors) and ``data_samples``
        (``DetDataSample`` with ``gt_instances``, ``ignored_instances`` and
        image metainfo).
    """
    from mmdet.structures import DetDataSample
    from mmdet.structures.bbox import HorizontalBoxes
    from mmengine.structures import InstanceData
    generator = torch.Generator().manual_seed(seed)
    inputs = _random_images(batch, shape, generator)
    size = torch.tensor([shape[1], shape[0]], dtype=torch.float32)  # w, h
    samples = []
    for index in range(batch):
        extent = size * (1 / 8 + 3 / 8 *
                         torch.rand(BOXES_PER_IMAGE, 2, generator=generator))
        corner = (size - extent) * torch.rand(
            BOXES_PER_IMAGE, 2, generator=generator)
        sample = DetDataSample()
        sample.gt_instances = InstanceData(
            bboxes=HorizontalBoxes(torch.cat([corner, corner + extent], 1)),
            labels=torch.randint(
                0, num_classes, (BOXES_PER_IMAGE, ), generator=generator))
        sample.ignored_instances = InstanceData(
            bboxes=HorizontalBoxes(torch.zeros(0, 4)),
            labels=torch.zeros(0, dtype=torch.long))
        sample.set_metainfo(dict(_image_metainfo(shape), img_id=index))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


@dataclass(frozen=True)
class Task:
    """How the benchmark feeds and shrinks the models of one task.

    Args:
        name (str): The task, for the report.
        head (str): The student's attribute whose ``num_classes`` the
            synthetic labels use; its presence in the student's config
            identifies the task.
        synthetic_batch (Callable): ``(batch, shape, num_classes) -> data``.
        tiny_options (Callable): ``(cfg, shape) -> overrides`` of the
            ``--tiny`` preset.
    """
    name: str
    head: str
    synthetic_batch: Callable[[int, Sequence[int], int], dict]
    tiny_options: Callable[[Config, Sequence[int]], dict]

    def num_classes(self, student: torch.nn.Module) -> int:
        """The class count of a built student of this task."""
        return int(getattr(student, self.head).num_classes)


TASKS = (
    Task('segmentation', 'decode_head', synthetic_seg_batch,
         tiny_seg_model_options),
    # Detectors take any input size: their preprocessors pad to a multiple.
    Task('detection', 'bbox_head', synthetic_det_batch,
         lambda cfg, shape: tiny_det_model_options(cfg)),
)


def task_of(student_cfg: dict) -> Task:
    """The task of a student model config.

    Args:
        student_cfg (dict): The full model config of the student.

    Returns:
        Task: The row of ``TASKS`` whose head the student has.

    Raises:
        NotImplementedError: If no task matches.
    """
    for task in TASKS:
        if task.head in student_cfg:
            return task
    heads = ', '.join(f'{task.head} ({task.name})' for task in TASKS)
    raise NotImplementedError(
        'the benchmark generates batches for students with a '
        f"{heads}; the student of this config is a "
        f"{student_cfg.get('type')} with neither.")

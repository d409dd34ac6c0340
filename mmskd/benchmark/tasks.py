# Copyright (c) mmskd contributors. All rights reserved.
"""What the benchmark knows per task: the student's head, synthetic batches
and the ``--tiny`` preset.

A batch is what a dataset pipeline's packing transform and the collate
function hand to ``train_step``: uint8 (3, H, W) images and data samples
with ground truth, which the model's data preprocessor normalises. A new
task adds one row to ``TASKS``.
"""
from dataclasses import dataclass
from typing import Callable, Dict, Sequence, Tuple

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


def synthetic_depth_batch(batch: int,
                          shape: Sequence[int],
                          num_classes: int,
                          seed: int = 0) -> Dict[str, list]:
    """A batch as mmseg's ``PackSegInputs`` + collate would produce it for
    depth: ``gt_depth_map`` in metres, uniform in 0.5-10 m (NYU's range).
    ``num_classes`` (a depth-bin head's bin count) is not used; takes the
    arguments of :func:`synthetic_seg_batch`.

    Returns:
        dict: ``inputs`` (uint8 (3, H, W) tensors) and ``data_samples``
        (``SegDataSample`` with ``gt_depth_map`` and image metainfo).
    """
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    height, width = shape
    generator = torch.Generator().manual_seed(seed)
    inputs = _random_images(batch, shape, generator)
    samples = []
    for _ in range(batch):
        sample = SegDataSample()
        sample.gt_depth_map = PixelData(
            data=0.5 +
            9.5 * torch.rand((1, height, width), generator=generator))
        sample.set_metainfo(
            dict(_image_metainfo(shape), pad_shape=(height, width)))
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
            (with ``model_types``) identifies the task.
        synthetic_batch (Callable): ``(batch, shape, num_classes) -> data``.
        tiny_options (Callable): ``(cfg, shape) -> overrides`` of the
            ``--tiny`` preset.
        model_types (tuple[str]): Model types (or their endings) that the
            student's must be, as well as having ``head``; any if empty.
            Defaults to empty.
    """
    name: str
    head: str
    synthetic_batch: Callable[[int, Sequence[int], int], dict]
    tiny_options: Callable[[Config, Sequence[int]], dict]
    model_types: Tuple[str, ...] = ()

    def matches(self, student_cfg: dict) -> bool:
        """Whether a student model config is of this task."""
        if self.model_types and not str(student_cfg.get('type')).endswith(
                self.model_types):
            return False
        return self.head in student_cfg

    def num_classes(self, student: torch.nn.Module) -> int:
        """The class count of a built student of this task."""
        return int(getattr(student, self.head).num_classes)


TASKS = (
    # Before segmentation: a depth estimator also has a decode_head.
    Task(
        'depth',
        'decode_head',
        synthetic_depth_batch,
        tiny_seg_model_options,
        model_types=('DepthEstimator', )),
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
        if task.matches(student_cfg):
            return task
    tasks = '; '.join(
        f'{task.name}: a {task.head}' +
        (f' in a {" or ".join(task.model_types)}' if task.model_types else '')
        for task in TASKS)
    raise NotImplementedError(
        f'the benchmark generates batches for these students ({tasks}); '
        f"the student of this config is a {student_cfg.get('type')} that "
        'is none of them.')

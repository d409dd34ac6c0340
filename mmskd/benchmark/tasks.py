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
# A synthetic video sample: (frame_f, labelled, frame_b), as the sequence
# datasets serve them for training.
SEQUENCE_OFFSETS, LABELLED_FRAME = (-1, 0, 1), 1


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


def synthetic_sequence_batch(batch: int,
                             shape: Sequence[int],
                             num_classes: int,
                             seed: int = 0) -> Dict[str, list]:
    """A batch as mmskd's ``PackSequenceInputs`` + collate would produce it
    for the video algorithms: each sample's frames (frame_f, labelled,
    frame_b) stacked on the channel axis, the labelled frame's labels, its
    flow to the two others (``gt_flow``, zero: the time of a step does not
    depend on it) and the metainfo the algorithms split the frames by.
    Takes the arguments of :func:`synthetic_seg_batch`, whose batch is the
    labelled frames'.

    Returns:
        dict: ``inputs`` (uint8 (9, H, W) tensors) and ``data_samples``
        (``SegDataSample`` with ``gt_sem_seg``, ``gt_flow`` and metainfo).
    """
    from mmengine.structures import PixelData
    data = synthetic_seg_batch(batch, shape, num_classes, seed)
    generator = torch.Generator().manual_seed(seed + 1)
    pairs = tuple((LABELLED_FRAME, index)
                  for index in range(len(SEQUENCE_OFFSETS))
                  if index != LABELLED_FRAME)
    for index, sample in enumerate(data['data_samples']):
        frames = _random_images(len(SEQUENCE_OFFSETS), shape, generator)
        frames[LABELLED_FRAME] = data['inputs'][index]
        data['inputs'][index] = torch.cat(frames)
        sample.gt_flow = PixelData(data=torch.zeros(2 * len(pairs), *shape))
        sample.set_metainfo(
            dict(
                labelled_index=LABELLED_FRAME,
                frame_offsets=SEQUENCE_OFFSETS,
                flow_pairs=pairs,
                flow_paths=()))
    return data


def labelled_frames(data: Dict[str, list]) -> Dict[str, list]:
    """The labelled frames of a :func:`synthetic_sequence_batch`, as the
    batch of a segmentor that trains frame by frame.

    Args:
        data (dict): The sequence batch.

    Returns:
        dict: ``inputs`` (uint8 (3, H, W) tensors) and the same
        ``data_samples``.
    """
    start = 3 * LABELLED_FRAME
    return dict(
        inputs=[frames[start:start + 3] for frames in data['inputs']],
        data_samples=data['data_samples'])


def _same_batch(data: Dict[str, list]) -> Dict[str, list]:
    return data


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
        algorithm_types (tuple[str]): Algorithm types (or their endings)
            of this task; any if empty. Defaults to empty.
        student_batch (Callable): The student's own batch (phase (a)) from
            the algorithm's. Defaults to the same batch.
    """
    name: str
    head: str
    synthetic_batch: Callable[[int, Sequence[int], int], dict]
    tiny_options: Callable[[Config, Sequence[int]], dict]
    model_types: Tuple[str, ...] = ()
    algorithm_types: Tuple[str, ...] = ()
    student_batch: Callable[[dict], dict] = _same_batch

    def matches(self, student_cfg: dict, algorithm_type: str = '') -> bool:
        """Whether a student model config (of an algorithm of type
        ``algorithm_type``) is of this task."""
        if self.model_types and not str(student_cfg.get('type')).endswith(
                self.model_types):
            return False
        if self.algorithm_types and not algorithm_type.endswith(
                self.algorithm_types):
            return False
        return self.head in student_cfg

    def num_classes(self, student: torch.nn.Module) -> int:
        """The class count of a built student of this task."""
        return int(getattr(student, self.head).num_classes)


TASKS = (
    # Before segmentation: a video algorithm's student is a segmentor that
    # trains on frame sequences.
    Task(
        'video',
        'decode_head',
        synthetic_sequence_batch,
        tiny_seg_model_options,
        algorithm_types=('VideoDistill', ),
        student_batch=labelled_frames),
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


def task_of(student_cfg: dict, algorithm_type: str = '') -> Task:
    """The task of a student model config.

    Args:
        student_cfg (dict): The full model config of the student.
        algorithm_type (str): The type of the algorithm that trains it.
            Defaults to none.

    Returns:
        Task: The row of ``TASKS`` whose head the student has.

    Raises:
        NotImplementedError: If no task matches.
    """
    for task in TASKS:
        if task.matches(student_cfg, algorithm_type):
            return task
    tasks = '; '.join(
        f'{task.name}: a {task.head}' +
        (f' in a {" or ".join(task.model_types)}' if task.model_types else '')
        for task in TASKS)
    raise NotImplementedError(
        f'the benchmark generates batches for these students ({tasks}); '
        f"the student of this config is a {student_cfg.get('type')} that "
        'is none of them.')

# Copyright (c) mmskd contributors. All rights reserved.
"""``--cfg-options`` that shrink a real config to a CPU smoke run.

The networks shrink with the benchmark's ``--tiny`` preset
(:mod:`mmskd.benchmark.tiny`); this module adds what a training run needs
beyond that: generated data, a schedule of a few iterations, in-process
data loading and logging of every iteration. Everything is an ordinary
dotted override, so tests exercise the very files users train with.
"""
import os.path as osp
from typing import Any, Dict, List, Tuple, Union

from mmengine.config import Config

from mmskd.benchmark.tiny import tiny_det_model_options, tiny_seg_model_options

# mmseg's train pipelines are [load, annotations, RandomResize, RandomCrop,
# flip, photometric, pack]; test pipelines are [load, Resize, annotations,
# pack].
TRAIN_RESIZE, TRAIN_CROP, TEST_RESIZE = 2, 3, 1
# The resizes of mmdet's pipelines, found by type (their index varies).
RESIZE_TYPES = ('Resize', 'RandomResize', 'RandomChoiceResize')
SPLITS = ('train', 'val', 'test')


DataRoot = Union[str, Dict[str, str]]


def _datasets(cfg: Config, loader: str) -> List[Tuple[str, dict]]:
    """The datasets a dataloader reads, with their dotted keys: each member
    of a ``ConcatDataset`` (VOC aug, unlabelled images) on its own; none for
    a loader the config does not have (``val_dataloader = None``)."""
    if cfg.get(loader) is None:
        return []
    dataset = cfg[loader].dataset
    if dataset.get('type') == 'ConcatDataset':
        return [(f'{loader}.dataset.datasets.{index}', member)
                for index, member in enumerate(dataset.datasets)]
    return [(f'{loader}.dataset', dataset)]


def _root_of(data_root: DataRoot, dataset: dict) -> str:
    """The generated root for a dataset: one root, or one per type."""
    if isinstance(data_root, str):
        return data_root
    if dataset.type not in data_root:
        raise KeyError(
            f'no generated data for {dataset.type} (have '
            f'{sorted(data_root)}): add {dataset.type}=<its generated root> '
            'to data_root')
    return data_root[dataset.type]


def _run_options(cfg: Config, data_root: DataRoot,
                 val_interval: int) -> Dict[str, Any]:
    """Overrides every smoke run shares: loaders in-process on the given
    data, batch size 2, logging each iteration, checkpoint at validation.

    Args:
        cfg (Config): The loaded config (read for its datasets).
        data_root (str | dict): The generated dataset, or one per dataset
            type for configs that read several (a ``ConcatDataset``).
        val_interval (int): Validate and checkpoint every this many
            iterations (epochs for epoch-based configs).

    Returns:
        dict: Dotted keys to values.
    """
    options: Dict[str, Any] = {
        'train_cfg.val_interval': val_interval,
        'default_hooks.checkpoint.interval': val_interval,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': 2,
    }
    # A sampler that composes batches (mmdet's MultiSourceSampler) must
    # compose the same 2 images.
    if 'batch_size' in cfg.train_dataloader.get('sampler', {}):
        options['train_dataloader.sampler.batch_size'] = 2
    for split in SPLITS:
        loader = f'{split}_dataloader'
        if cfg.get(loader) is None:
            continue
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        for prefix, dataset in _datasets(cfg, loader):
            options[f'{prefix}.data_root'] = _root_of(data_root, dataset)
    return options


def tiny_seg_data_options(cfg: Config,
                          data_root: DataRoot,
                          max_iters: int = 2,
                          val_interval: int = 2,
                          image_size: Tuple[int, int] = (64, 128)
                          ) -> Dict[str, Any]:
    """The data and schedule part of :func:`tiny_seg_options`: generated
    data, few iterations, every pipeline resized and cropped to
    ``image_size``; the models are left alone.

    Args:
        cfg (Config): The loaded config (read for its datasets).
        data_root (str | dict): A dataset in the layout of the config's
            dataset, or one per dataset type (the members of a
            ``ConcatDataset``).
        max_iters (int): Training iterations.
        val_interval (int): Validate and checkpoint every this many iters.
        image_size (tuple): (height, width) of the generated images.

    Returns:
        dict: Dotted keys to values.
    """
    height, width = image_size
    options = _run_options(cfg, data_root, val_interval)
    options['train_cfg.max_iters'] = max_iters
    for split in SPLITS:
        for prefix, dataset in _datasets(cfg, f'{split}_dataloader'):
            pipeline = f'{prefix}.pipeline'
            if split == 'train':
                options[f'{pipeline}.{TRAIN_RESIZE}.scale'] = (width, height)
                options[f'{pipeline}.{TRAIN_CROP}.crop_size'] = (height,
                                                                 width)
                # VOC pads each crop to the full crop size; mmcv's Pad
                # takes it as (w, h).
                for index, step in enumerate(dataset.pipeline):
                    if step.get('type') == 'Pad' and 'size' in step:
                        options[f'{pipeline}.{index}.size'] = (width, height)
            else:
                options[f'{pipeline}.{TEST_RESIZE}.scale'] = (width, height)
    return options


def tiny_seg_options(cfg: Config,
                     data_root: DataRoot,
                     max_iters: int = 2,
                     val_interval: int = 2,
                     image_size: Tuple[int, int] = (64, 128),
                     role: str = 'architecture') -> Dict[str, Any]:
    """Overrides for a few CPU iterations of a segmentation config.

    Works on mmskd distillation configs and on plain mmseg configs (shrunk
    to the width of a distillation config's student, so that a converted
    student checkpoint loads into its own model-zoo config, or to the
    teacher's width with ``role='teacher'``). The models
    become the tiny preset's (:func:`~mmskd.benchmark.tiny.
    tiny_seg_model_options`) and every pipeline resizes and crops to
    ``image_size`` (:func:`tiny_seg_data_options`).

    Args:
        cfg (Config): The loaded config (read to know its head types).
        data_root (str | dict): A dataset in the layout of the config's
            dataset, e.g. written by ``write_cityscapes_like``; or one per
            dataset type, for configs that read several (the members of a
            ``ConcatDataset``).
        max_iters (int): Training iterations.
        val_interval (int): Validate and checkpoint every this many iters.
        image_size (tuple): (height, width) of the generated images.
        role (str): For a plain config, whose tiny width it gets
            (``'architecture'`` or ``'teacher'``).

    Returns:
        dict: Dotted keys to values, for ``Config.merge_from_dict`` or
        ``format_cfg_options``.
    """
    options = tiny_seg_data_options(cfg, data_root, max_iters,
                                    val_interval, image_size)
    options.update(tiny_seg_model_options(cfg, image_size, role))
    return options


def _resize_options(prefix: str, pipeline: List[dict],
                    scale: Tuple[int, int]) -> Dict[str, Any]:
    """Overrides setting every resize of ``pipeline`` to ``scale`` (w, h).

    Args:
        prefix (str): The dotted key of the pipeline.
        pipeline (list[dict]): Its transforms.
        scale (tuple): (width, height), as mmdet's resizes take it.

    Returns:
        dict: Dotted keys to values.
    """
    options: Dict[str, Any] = {}
    for index, transform in enumerate(pipeline):
        if transform.get('type') not in RESIZE_TYPES:
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

    Works on mmskd distillation configs and on plain mmdet configs (shrunk
    like a distillation config's student, so a converted student checkpoint
    fits it). The models become the tiny preset's
    (:func:`~mmskd.benchmark.tiny.tiny_det_model_options`); images are
    resized to ``image_size``; COCO metrics read the generated annotations.

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
    ann_file = osp.join(data_root, 'annotations', 'instances_val2017.json')
    options = _run_options(cfg, data_root, val_interval=1)
    options['train_cfg.max_epochs'] = max_epochs
    options['val_evaluator.ann_file'] = ann_file
    options['test_evaluator.ann_file'] = ann_file
    for split in SPLITS:
        prefix = f'{split}_dataloader.dataset.pipeline'
        pipeline = cfg[f'{split}_dataloader'].dataset.pipeline
        options.update(_resize_options(prefix, pipeline, (width, height)))
    options.update(tiny_det_model_options(cfg))
    return options


def format_cfg_options(options: Dict[str, Any]) -> List[str]:
    """Render overrides as ``--cfg-options`` command-line words.

    Args:
        options (dict): Dotted keys to values (None, numbers, strings,
            tuples and lists of those).

    Returns:
        list[str]: ``['key=value', ...]`` as ``DictAction`` parses them.
    """

    def render(value: Any) -> str:
        if isinstance(value, (tuple, list)):
            inner = ','.join(render(v) for v in value)
            return f'({inner})' if isinstance(value, tuple) else f'[{inner}]'
        return 'None' if value is None else str(value)

    return [f'{key}={render(value)}' for key, value in options.items()]

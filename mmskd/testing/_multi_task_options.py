# Copyright (c) mmskd contributors. All rights reserved.
"""Short CPU runs of the multi-task configs on the generated rooms."""
from typing import Any, Dict

from mmengine.config import Config

from mmskd.ablation.multi_task_rooms import PREFIX_FOLDERS

# MobileNetV2's output widths at widen_factor 1 and at 0.25.
NARROW = {24: 8, 32: 8, 96: 24, 320: 80}
CROP = 64


def _narrow_head(prefix: str, head: dict, options: Dict[str, Any]) -> None:
    """A head's options for the narrow encoder, 8 channels wide."""
    channels = head['in_channels']
    options[f'{prefix}.in_channels'] = [
        NARROW.get(c, 8) for c in channels
    ] if isinstance(channels, (list, tuple)) else NARROW.get(channels, 8)
    options[f'{prefix}.channels'] = 8
    if 'num_bins' in head:
        options[f'{prefix}.num_bins'] = 8
    if 'head' in head:  # a U-shape decoder's task head
        options[f'{prefix}.head.channels'] = 8
        if 'num_bins' in head['head']:
            options[f'{prefix}.head.num_bins'] = 8


def tiny_multi_task_options(cfg: Config,
                            data_root: str,
                            max_iters: int = 1) -> Dict[str, Any]:
    """Overrides for a short run of any ``configs/multitask`` leaf on the
    rooms of ``mmskd.ablation.write_multi_task_rooms``.

    A full-width encoder is cut to MobileNetV2 at width 0.25 and every
    head (and the context neck) to 8 channels (a leaf at width 0.25 keeps
    its model); the data are read from the ``train``/``test``
    folders of ``data_root``, with 64x64 crops of images resized around
    their own size, 2 images a step and no pretrained weights.

    Args:
        cfg (Config): The loaded leaf.
        data_root (str): The rooms' root.
        max_iters (int): Training iterations; validation and the checkpoint
            come at the last one.

    Returns:
        dict: Dotted keys to values.
    """
    options: Dict[str, Any] = {
        'model.pretrained': None,
        'model.data_preprocessor.size': (CROP, CROP),
        'train_dataloader.batch_size': 2,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': max_iters,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 1,
    }
    if cfg.model.backbone.widen_factor == 1:
        options.update(_narrow_model(cfg.model))
    options.update(_data_options(cfg, data_root))
    return options


def _narrow_model(model: Config) -> Dict[str, Any]:
    """The encoder at width 0.25, the neck and heads 8 channels wide."""
    options: Dict[str, Any] = {'model.backbone.widen_factor': 0.25}
    if model.get('neck'):
        options['model.neck.in_channels'] = 80
        options['model.neck.channels'] = 8
    for task, head in model.decode_heads.items():
        _narrow_head(f'model.decode_heads.{task}', head, options)
        if model.get('neck'):
            options[f'model.decode_heads.{task}.in_channels'] = 8
    for task, heads in (model.get('auxiliary_heads') or {}).items():
        if isinstance(heads, dict):
            _narrow_head(f'model.auxiliary_heads.{task}', heads, options)
            continue
        for index, head in enumerate(heads):
            _narrow_head(f'model.auxiliary_heads.{task}.{index}', head,
                         options)
    return options


def _data_options(cfg: Config, data_root: str) -> Dict[str, Any]:
    """The rooms' folders, small crops, no workers, every pixel scored."""
    options: Dict[str, Any] = {}
    for split, loader in (('train', 'train_dataloader'),
                          ('test', 'val_dataloader'), ('test',
                                                       'test_dataloader')):
        dataset = cfg[loader].dataset
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        options[f'{loader}.dataset.data_root'] = data_root
        for key in dataset.data_prefix:
            options[f'{loader}.dataset.data_prefix.{key}'] = \
                f'{PREFIX_FOLDERS[key]}/{split}'
        for index, step in enumerate(dataset.pipeline):
            if step['type'] == 'MultiTaskRandomResize':
                options[f'{loader}.dataset.pipeline.{index}.scale'] = (160,
                                                                       128)
            if step['type'] == 'RandomCrop':
                options[f'{loader}.dataset.pipeline.{index}.crop_size'] = (
                    CROP, CROP)
    for evaluator in ('val_evaluator', 'test_evaluator'):
        for index, metric in enumerate(cfg[evaluator]):
            if metric['type'] == 'PatchedDepthMetric':
                options[f'{evaluator}.{index}.crop_type'] = None
    return options

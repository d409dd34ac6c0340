# Copyright (c) mmskd contributors. All rights reserved.
"""``--cfg-options`` that shrink a real mmskd config to a CPU smoke run.

Everything here is an ordinary dotted override of the user-facing config,
so tests exercise the very files users train with.
"""
from typing import Any, Dict, List, Tuple

from mmengine.config import Config

# mmseg's train pipelines are [load, annotations, RandomResize, RandomCrop,
# flip, photometric, pack]; test pipelines are [load, Resize, annotations,
# pack].
TRAIN_RESIZE, TRAIN_CROP, TEST_RESIZE = 2, 3, 1

# ResNet channel widths of the tiny models: stem, then layer1 (x1, x2, x4,
# x8 for layers 1-4 with BasicBlock).
TINY_WIDTH = dict(architecture=(16, 8), teacher=(16, 16))

DECODE_HEADS_WITH_C1 = ('DepthwiseSeparableASPPHead', )


def _tiny_segmentor(prefix: str, model: dict, stem: int,
                    base: int) -> Dict[str, Any]:
    """Overrides turning a ResNet-D8 segmentor into a ResNet-18 of ``base``."""
    options = {
        f'{prefix}.pretrained': None,
        f'{prefix}.backbone.depth': 18,
        f'{prefix}.backbone.stem_channels': stem,
        f'{prefix}.backbone.base_channels': base,
        f'{prefix}.decode_head.in_channels': base * 8,
        f'{prefix}.decode_head.channels': base * 2,
    }
    if model.get('decode_head', {}).get('type') in DECODE_HEADS_WITH_C1:
        options[f'{prefix}.decode_head.c1_in_channels'] = base
        options[f'{prefix}.decode_head.c1_channels'] = 4
    if model.get('auxiliary_head'):
        options[f'{prefix}.auxiliary_head.in_channels'] = base * 4
        options[f'{prefix}.auxiliary_head.channels'] = base
    return options


def tiny_seg_options(cfg: Config,
                     data_root: str,
                     max_iters: int = 2,
                     val_interval: int = 2,
                     image_size: Tuple[int, int] = (64, 128)
                     ) -> Dict[str, Any]:
    """Overrides for a few CPU iterations of a segmentation distill config.

    Args:
        cfg (Config): The loaded config (read to know its head types).
        data_root (str): A dataset written by ``write_cityscapes_like``.
        max_iters (int): Training iterations.
        val_interval (int): Validate and checkpoint every this many iters.
        image_size (tuple): (height, width) of the generated images.

    Returns:
        dict: Dotted keys to values, for ``Config.merge_from_dict`` or
        ``format_cfg_options``.
    """
    height, width = image_size
    options: Dict[str, Any] = {
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': val_interval,
        'default_hooks.checkpoint.interval': val_interval,
        'default_hooks.logger.interval': 1,
        'model.teacher_ckpt': None,
        'model.architecture.data_preprocessor.size': (height, width),
        'train_dataloader.batch_size': 2,
    }
    for split in ('train', 'val', 'test'):
        loader = f'{split}_dataloader'
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        options[f'{loader}.dataset.data_root'] = data_root
        pipeline = f'{loader}.dataset.pipeline'
        if split == 'train':
            options[f'{pipeline}.{TRAIN_RESIZE}.scale'] = (width, height)
            options[f'{pipeline}.{TRAIN_CROP}.crop_size'] = (height, width)
        else:
            options[f'{pipeline}.{TEST_RESIZE}.scale'] = (width, height)
    for role, (stem, base) in TINY_WIDTH.items():
        model = _resolved_model(cfg.model[role])
        options.update(_tiny_segmentor(f'model.{role}', model, stem, base))
    return options


def _resolved_model(model_cfg: dict) -> dict:
    """The model dict behind a ``cfg_path`` reference (or the dict itself)."""
    if 'cfg_path' not in model_cfg:
        return model_cfg
    from mmskd.models.utils import resolve_config_path
    return Config.fromfile(resolve_config_path(model_cfg['cfg_path'])).model


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

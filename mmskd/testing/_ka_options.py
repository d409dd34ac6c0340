# Copyright (c) mmskd contributors. All rights reserved.
"""Tiny-model overrides for the knowledge-adaptation configs (configs/ka),
which train on Pascal VOC aug (``mmskd.testing.write_voc_like`` writes it).
"""
from typing import Any, Dict, Tuple

from mmengine.config import Config

from ._options import tiny_seg_options

# The tiny widths of the fused head features FitNet's regressor maps: the
# MobileNetV2 student's head is 16 wide, the tiny teacher's 32.
STUDENT_FEATURE, TEACHER_FEATURE = 16, 32


def tiny_ka_options(cfg: Config,
                    data_root: str,
                    image_size: Tuple[int, int],
                    max_iters: int = 2,
                    teacher_ckpt: str = None) -> Dict[str, Any]:
    """Overrides for a few CPU iterations of a configs/ka leaf.

    The teacher becomes mmskd's tiny ResNet-18 and the student a
    MobileNetV2 at 1/4 width (``tiny_seg_options``); FitNet's chained
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
    options['model.teacher_ckpt'] = teacher_ckpt
    if cfg.train_cfg.type == 'EpochBasedTrainLoop':
        for key in ('train_cfg.max_iters', 'train_cfg.val_interval',
                    'default_hooks.checkpoint.interval'):
            options.pop(key)
    if isinstance(
            cfg.model.distiller.get('connectors', {}).get('regressor'), list):
        options['model.distiller.connectors.regressor.0.in_channel'] = \
            STUDENT_FEATURE
        options['model.distiller.connectors.regressor.0.out_channel'] = \
            TEACHER_FEATURE
    return options

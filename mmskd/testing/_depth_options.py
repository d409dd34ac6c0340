# Copyright (c) mmskd contributors. All rights reserved.
"""``--cfg-options`` that shrink the configs of ``configs/depth`` to a CPU
smoke run on :func:`write_nyu_like` data.
"""
import os.path as osp
from typing import Any, Dict

from mmengine.config import Config

HEIGHT, WIDTH, CROP = 48, 64, 32
NUM_BINS = 16
# configs/_base_/datasets/nyu-480x480.py's test pipeline: [load, resize,
# depth, pack] (train pipelines' crops are found by type).
TEST_RESIZE = 1
# Narrow models per single-model config, keyed by its file name. The
# teacher becomes a ResNet-18 twice as wide as the student's (its 101
# layers would only make the runs slower).
TINY_MODELS = {
    'depthbin_r18-d8_4xb3-20k_nyu-480x480.py': {
        'backbone.stem_channels': 16,
        'backbone.base_channels': 8,
        'decode_head.in_channels': 64,
        'decode_head.channels': 16,
    },
    'depthbin_m-v2-d8_4xb3-20k_nyu-480x480.py': {
        'decode_head.channels': 16,
    },
    'depthbin_r101-d8_4xb3-20k_nyu-480x480.py': {
        'backbone.depth': 18,
        'backbone.stem_channels': 16,
        'backbone.base_channels': 16,
        'decode_head.in_channels': 128,
        'decode_head.channels': 32,
    },
}


def tiny_model_options(config_name: str, prefix: str) -> Dict[str, Any]:
    """The narrow model of a single-model depth config, under ``prefix``.

    Args:
        config_name (str): The file name of a ``configs/depth`` model
            config, a key of ``TINY_MODELS``.
        prefix (str): Where the model sits, ``'model'`` in its own config,
            ``'model.architecture'`` or ``'model.teacher'`` in a distill
            config.

    Returns:
        dict: Dotted keys to values.
    """
    options = {
        f'{prefix}.pretrained': None,
        f'{prefix}.decode_head.num_bins': NUM_BINS,
    }
    for key, value in TINY_MODELS[config_name].items():
        options[f'{prefix}.{key}'] = value
    return options


def _train_sets(cfg: Config) -> list:
    """(dotted key, dataset) of each training set: the members of a
    ``ConcatDataset`` (labelled images and unlabelled frames) on their
    own."""
    dataset = cfg.train_dataloader.dataset
    if dataset.type == 'ConcatDataset':
        return [(f'train_dataloader.dataset.datasets.{index}', member)
                for index, member in enumerate(dataset.datasets)]
    return [('train_dataloader.dataset', dataset)]


def run_options(cfg: Config, data_root: str,
                max_iters: int = 2) -> Dict[str, Any]:
    """Schedule, dataloader and evaluator overrides of any depth config.

    'nyu_crop' evaluates a fixed window of 480x640 images, so the small
    generated images are evaluated whole.

    Args:
        cfg (Config): The loaded config (read for its training sets).
        data_root (str): A dataset written by ``write_nyu_like`` (with
            ``unlabelled/`` frames for configs that read them).
        max_iters (int): Training iterations; validation and the checkpoint
            come at the last one.

    Returns:
        dict: Dotted keys to values.
    """
    options = {
        'train_dataloader.batch_size': 2,
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': max_iters,
        'default_hooks.checkpoint.interval': max_iters,
        'default_hooks.logger.interval': 1,
        'val_evaluator.crop_type': None,
        'test_evaluator.crop_type': None,
    }
    # A sampler that composes batches (mmdet's MultiSourceSampler) composes
    # the same 2 images.
    if 'batch_size' in cfg.train_dataloader.get('sampler', {}):
        options['train_dataloader.sampler.batch_size'] = 2
    for split in ('train', 'val', 'test'):
        loader = f'{split}_dataloader'
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        if split != 'train':
            options[f'{loader}.dataset.data_root'] = data_root
            options[f'{loader}.dataset.pipeline.{TEST_RESIZE}.scale'] = (
                WIDTH, HEIGHT)
    for prefix, dataset in _train_sets(cfg):
        options[f'{prefix}.data_root'] = data_root
        for index, step in enumerate(dataset.pipeline):
            if step['type'] == 'RandomCrop':
                options[f'{prefix}.pipeline.{index}.crop_size'] = (CROP, CROP)
    return options


def tiny_depth_options(config: str,
                       data_root: str,
                       max_iters: int = 2) -> Dict[str, Any]:
    """Overrides for a short CPU run of any ``configs/depth`` leaf.

    A single-model config gets its narrow model; a distill config (a model
    with ``architecture`` and ``teacher``) gets the narrow models of the
    two configs its ``cfg_path``s name and a random teacher
    (``teacher_ckpt=None``).

    Args:
        config (str): Path of the leaf config.
        data_root (str): A dataset written by ``write_nyu_like``.
        max_iters (int): Training iterations.

    Returns:
        dict: Dotted keys to values, for ``Config.merge_from_dict`` or
        ``format_cfg_options``.
    """
    cfg = Config.fromfile(config)
    model = cfg.model
    options = run_options(cfg, data_root, max_iters)
    if 'architecture' not in model:
        options.update(tiny_model_options(osp.basename(config), 'model'))
        options['model.data_preprocessor.size'] = (CROP, CROP)
        return options
    for role in ('architecture', 'teacher'):
        name = osp.basename(model[role]['cfg_path'])
        options.update(tiny_model_options(name, f'model.{role}'))
    options['model.architecture.data_preprocessor.size'] = (CROP, CROP)
    options['model.teacher_ckpt'] = None
    return options

# Copyright (c) mmskd contributors. All rights reserved.
"""The configs a search trains: the shared starting point, each sampled
structure on the meta-train split scored on the meta-val split, and the
best structure on the whole training set.

A search starts from a segmentor config whose ``auxiliary_head`` holds an
auxiliary module (``AuxiliaryModuleHead`` or ``AuxiliaryCellsHead``): a
structure replaces that module's cells, keeping its inputs, width, classes,
norm and loss.
"""
import copy
from typing import List, Sequence, Tuple

from mmengine.config import Config, ConfigDict

from mmskd.models.auxiliary.search_space import Cell, check_structure

AUXILIARY_MODULES = ('AuxiliaryModuleHead', 'AuxiliaryCellsHead')
# Keys of the basic module that a cells head does not take.
BASIC_ONLY = ('adaptor_kernel', )


def _heads(model: ConfigDict) -> List[ConfigDict]:
    heads = model.get('auxiliary_head')
    if heads is None:
        return []
    return list(heads) if isinstance(heads, (list, tuple)) else [heads]


def auxiliary_module(cfg: Config) -> ConfigDict:
    """The auxiliary module a search replaces.

    Raises:
        ValueError: If the model has none, or several.
    """
    modules = [
        head for head in _heads(cfg.model)
        if str(head.get('type', '')).split('.')[-1] in AUXILIARY_MODULES
    ]
    if len(modules) != 1:
        raise ValueError(
            f'A search replaces the one auxiliary module of the model\'s '
            f'auxiliary_head ({" or ".join(AUXILIARY_MODULES)}); this model '
            f'has {len(modules)}. Start from a config with the basic module, '
            'e.g. configs/_base_/auxiliary/basic_module_r18.py.')
    return modules[0]


def num_module_inputs(cfg: Config) -> int:
    """The backbone outputs the auxiliary module takes (its cells)."""
    return len(auxiliary_module(cfg).in_index)


def with_structure(cfg: Config, cells: Sequence[Cell]) -> Config:
    """A copy of the config whose auxiliary module is the structure."""
    cfg = copy.deepcopy(cfg)
    module = auxiliary_module(cfg)
    check_structure(cells, len(module.in_index))
    for key in BASIC_ONLY:
        module.pop(key, None)
    module.update(
        type='AuxiliaryCellsHead',
        _scope_='mmskd',
        cells=[list(cell) for cell in cells])
    cfg.pop('search', None)
    return cfg


def without_auxiliary_module(cfg: Config) -> Config:
    """A copy of the config with no auxiliary module (the shared starting
    point trains without one; other auxiliary heads stay)."""
    cfg = copy.deepcopy(cfg)
    module = auxiliary_module(cfg)
    others = [head for head in _heads(cfg.model) if head is not module]
    cfg.model.auxiliary_head = others or None
    cfg.pop('search', None)
    return cfg


def meta_split(cfg: Config, fraction: float) -> Tuple[List[int], List[int]]:
    """The training set's images split into meta-train and meta-val.

    The last ``fraction`` of the images the config trains on (its
    dataset's ``indices``) is held out as meta-val.

    Args:
        cfg (Config): The search's config.
        fraction (float): The share held out, in (0, 1).

    Returns:
        tuple[list[int]]: Meta-train and meta-val dataset indices.
    """
    indices = cfg.train_dataloader.dataset.get('indices')
    if indices is None:
        from mmengine.registry import init_default_scope
        from mmseg.registry import DATASETS
        init_default_scope('mmseg')
        indices = len(DATASETS.build(cfg.train_dataloader.dataset))
    indices = list(range(indices)) if isinstance(indices, int) else list(
        indices)
    held_out = max(1, round(len(indices) * fraction))
    if not 0 < fraction < 1 or held_out >= len(indices):
        raise ValueError(
            f'search.meta_val={fraction} of {len(indices)} training images '
            'leaves no meta-train or no meta-val split; give a share in '
            '(0, 1) of a training set of two images or more.')
    return indices[:-held_out], indices[-held_out:]


def on_split(cfg: Config, train: Sequence[int],
             val: Sequence[int]) -> Config:
    """A copy of the config that trains on ``train`` and validates, once
    at its end, on the training images ``val`` (with the validation
    pipeline)."""
    cfg = copy.deepcopy(cfg)
    cfg.train_dataloader.dataset.indices = list(train)
    val_set = copy.deepcopy(cfg.train_dataloader.dataset)
    val_set.pipeline = copy.deepcopy(cfg.val_dataloader.dataset.pipeline)
    val_set.indices = list(val)
    cfg.val_dataloader.dataset = val_set
    return cfg


def with_iterations(cfg: Config, iters: int) -> Config:
    """A copy that trains ``iters`` iterations, validating at the end."""
    cfg = copy.deepcopy(cfg)
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.default_hooks.checkpoint.interval = iters
    cfg.default_hooks.logger.interval = min(
        iters, cfg.default_hooks.logger.get('interval', 50))
    return cfg

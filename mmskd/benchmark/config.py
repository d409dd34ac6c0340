# Copyright (c) mmskd contributors. All rights reserved.
"""Fitting a distillation config to a single-process benchmark."""
import copy
import os.path as osp
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from mmskd.models.teachers import ensemble_members
from mmskd.utils.launch import optim_wrapper_entries, replace_sync_bn


def _fix_input_size(preprocessor: Optional[dict],
                    shape: Sequence[int]) -> None:
    """Make a segmentation preprocessor pad to exactly ``shape`` (i.e. not
    pad); detection preprocessors pad to a multiple of their divisor, which
    the benchmark's shapes usually are (e.g. 800x1344 for 32)."""
    if not isinstance(preprocessor, dict) or not str(
            preprocessor.get('type', '')).endswith('SegDataPreProcessor'):
        return
    preprocessor['size'] = tuple(shape)
    if preprocessor.get('size_divisor') is not None:
        preprocessor['size_divisor'] = None


def _is_pretrained(init_cfg: Any) -> bool:
    return isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained'


def _dicts_in(node: Any) -> Iterator[dict]:
    """Every dict in a nested config (dicts, lists and tuples), outer first.
    """
    if isinstance(node, dict):
        yield node
        children = list(node.values())
    elif isinstance(node, (list, tuple)):
        children = list(node)
    else:
        return
    for child in children:
        yield from _dicts_in(child)


def drop_pretrained_weights(model_cfg: dict) -> int:
    """Drop every reference to pretrained weights in a config, in place.

    ``pretrained='...'`` becomes None and ``init_cfg`` entries of type
    ``Pretrained`` (e.g. ``torchvision://resnet50``) go, so that
    ``init_weights`` initialises without a download.

    Args:
        model_cfg (dict): A model config, searched recursively.

    Returns:
        int: How many references were dropped.
    """
    dropped = 0
    for node in _dicts_in(model_cfg):
        if isinstance(node.get('pretrained'), str):
            node['pretrained'] = None
            dropped += 1
        init_cfg = node.get('init_cfg')
        if _is_pretrained(init_cfg):
            node['init_cfg'] = None
            dropped += 1
        elif isinstance(init_cfg, list):
            kept = [each for each in init_cfg if not _is_pretrained(each)]
            dropped += len(init_cfg) - len(kept)
            node['init_cfg'] = kept or None
    return dropped


def drop_offline_teacher_ckpt(cfg: Config) -> Optional[str]:
    """Set each teacher checkpoint that is a URL not in the hub cache to
    None: ``model.teacher_ckpt``, or each ``ckpt`` of a ``TeacherEnsemble``.

    Args:
        cfg (Config): The config, changed in place.

    Returns:
        str, optional: A note for the report when a checkpoint was dropped.
    """
    teacher = cfg.model.get('teacher')
    slots = [(cfg.model, 'teacher_ckpt', 'teacher_ckpt')]
    slots += [(member, 'ckpt', f'teachers.{name}.ckpt')
              for name, member in ensemble_members(teacher).items()]
    notes = []
    for node, key, name in slots:
        ckpt = node.get(key)
        if not isinstance(ckpt, str) or '://' not in ckpt:
            continue
        cached = osp.join(torch.hub.get_dir(), 'checkpoints',
                          osp.basename(ckpt.split('?')[0]))
        if osp.isfile(cached):
            continue
        node[key] = None
        notes.append(f'{name} {ckpt} is not in the download cache '
                     f'({cached}); set to None')
    if not notes:
        return None
    return '; '.join(notes) + (' (random teacher weights; timing does not '
                               'need real weights).')


def prepare_model_cfg(cfg: Config, shape: Sequence[int]) -> List[str]:
    """Expand the student/teacher references and fit them to the benchmark.

    ``architecture`` and ``teacher`` become full model dicts (the same that
    mmrazor gets), segmentation preprocessors pad to the synthetic image
    size (so that nothing is padded), SyncBN becomes BN, pretrained
    backbone weights are not loaded, and a teacher checkpoint URL that is
    not in the torch hub cache is dropped.

    Args:
        cfg (Config): The config, changed in place.
        shape (Sequence[int]): (height, width) of the synthetic images.

    Returns:
        list[str]: Notes for the report.
    """
    from mmskd.utils.launch import expand_model_references
    notes = []
    model = cfg.model
    for role in ('architecture', 'teacher'):
        if isinstance(model.get(role), dict):
            # Each teacher of a TeacherEnsemble too.
            model[role] = expand_model_references(model[role])
            _fix_input_size(model[role].get('data_preprocessor'), shape)
    _fix_input_size(model.get('data_preprocessor'), shape)
    changed = replace_sync_bn(model)
    if changed:
        notes.append(f'{changed} SyncBN norm configs built as BN '
                     '(single-process benchmark).')
    dropped = drop_pretrained_weights(model)
    if dropped:
        notes.append(f'{dropped} pretrained-weight references dropped '
                     '(initialised at random: timing does not need real '
                     'weights).')
    note = drop_offline_teacher_ckpt(cfg)
    if note:
        notes.append(note)
    return notes


def student_optim_wrapper_cfg(cfg: Config) -> Tuple[dict, str]:
    """The optimizer wrapper config the student trains with.

    Args:
        cfg (Config): The distillation config.

    Returns:
        tuple[dict, str]: The config's own wrapper when it is a single one,
        the ``architecture`` entry of a per-module wrapper config, otherwise
        mmseg's SGD; and where it came from, for the report.
    """
    optim_wrapper = copy.deepcopy(cfg.get('optim_wrapper') or {})
    if 'constructor' not in optim_wrapper and 'optimizer' in optim_wrapper:
        optim_wrapper.pop('paramwise_cfg', None)
        return optim_wrapper, 'config optim_wrapper'
    sub = optim_wrapper.get('architecture')
    if isinstance(sub, dict) and 'optimizer' in sub:
        sub = copy.deepcopy(sub)
        sub.pop('paramwise_cfg', None)
        return sub, 'config optim_wrapper.architecture'
    return dict(
        type='OptimWrapper',
        optimizer=dict(
            type='SGD', lr=0.01, momentum=0.9,
            weight_decay=0.0005)), 'SGD(lr=0.01, momentum=0.9, wd=5e-4)'


def enable_cuda_amp(optim_wrapper: dict) -> None:
    """Turn the (possibly per-module) wrapper configs into AmpOptimWrapper.

    Args:
        optim_wrapper (dict): An ``optim_wrapper`` config, changed in place.
    """
    for wrapper in optim_wrapper_entries(optim_wrapper):
        if wrapper.get('type', 'OptimWrapper') == 'OptimWrapper':
            wrapper['type'] = 'AmpOptimWrapper'
            wrapper.setdefault('loss_scale', 'dynamic')

# Copyright (c) mmskd contributors. All rights reserved.
"""Parameters and FLOPs of a distillation pair, by mmengine's analysis.

``mmengine.analysis.get_model_complexity_info`` traces one forward
(``mode='tensor'``: backbone, neck and heads, no loss, no post-processing)
and counts FLOPs the way the OpenMMLab model zoos report them, one
multiply-add as one FLOP (fvcore's convention). Teacher and student are
counted as they run at inference: a segmentor's auxiliary head, used only
for its training loss, is dropped (as mmseg's ``get_flops.py`` does), and
the parts that exist only while distilling (connectors, the holistic
discriminator) are not counted.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from torch import nn

from mmskd.models.teachers import TeacherEnsemble
from mmskd.models.utils import load_model_cfg
from mmskd.models.utils.checkpoint import teacher_weights_from_checkpoint
from mmskd.models.utils.input_scales import InputScales
from mmskd.registry import MODELS

# Roles of a distill config and the model keys they live under.
ROLES = (('teacher', 'teacher'), ('student', 'architecture'))
RESIZE_TYPES = ('Resize', 'RandomResize', 'RandomChoiceResize')


def config_input_shape(cfg: Config) -> Tuple[int, int]:
    """The (H, W) a config feeds its models.

    A segmentation config crops (and pads) every training image to its
    (student's) ``data_preprocessor.size``; a detection config has no such
    size, so the scale of its test pipeline's resize is used (mmdet resizes
    keeping the ratio, so a real image may be smaller along one side).

    Args:
        cfg (Config): A distill config with ``model.architecture``, or the
            config of one model.

    Returns:
        tuple: (height, width).

    Raises:
        ValueError: If neither size is in the config (pass ``--shape``).
    """
    student = load_model_cfg(cfg.model.architecture) \
        if 'architecture' in cfg.model else cfg.model
    size = (student.get('data_preprocessor') or {}).get('size')
    if size is not None:
        return int(size[0]), int(size[1])
    loader = cfg.get('test_dataloader') or {}
    for transform in loader.get('dataset', {}).get('pipeline', []):
        if transform.get('type') in RESIZE_TYPES and 'scale' in transform:
            width, height = transform['scale']
            return int(height), int(width)
    raise ValueError(
        'The config names no input size (no student data_preprocessor.size '
        'and no Resize scale in test_dataloader); pass --shape H W.')


def inference_network(model_cfg: dict) -> nn.Module:
    """Build one model of the pair as it runs at inference.

    Args:
        model_cfg (dict): ``model.teacher`` or ``model.architecture`` of a
            distill config (a ``cfg_path`` reference, a model dict or a
            ``TeacherEnsemble``, counted as all its teachers).

    Returns:
        nn.Module: The model in eval mode, SyncBN turned into BN (which
        runs without a process group) and without an auxiliary head (nor a
        multi-task network's ``auxiliary_heads``).
    """
    # A TeacherEnsemble would load its teachers' checkpoints: counting
    # needs no weights.
    with teacher_weights_from_checkpoint():
        model = revert_sync_batchnorm(MODELS.build(model_cfg))
    members = model.members().values() if isinstance(
        model, TeacherEnsemble) else (model, )
    for member in members:
        if getattr(member, 'auxiliary_head', None) is not None:
            member.auxiliary_head = None
        if isinstance(getattr(member, 'auxiliary_heads', None), nn.Module):
            member.auxiliary_heads = nn.ModuleDict()
    return model.eval()


def model_complexity(model: nn.Module,
                     shape: Sequence[int]) -> Dict[str, float]:
    """Parameters and FLOPs of one image of ``shape`` through ``model``.

    Args:
        model (nn.Module): An OpenMMLab model whose ``forward(inputs)``
            defaults to ``mode='tensor'``.
        shape (Sequence[int]): (height, width) of the input image.

    Returns:
        dict: ``params`` and ``flops`` (numbers) and their readable forms
        ``params_str`` and ``flops_str`` (mmengine's formatting).
    """
    device = next(model.parameters()).device
    inputs = torch.rand(1, 3, *shape, device=device)
    with torch.no_grad():
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
    keys = ('params', 'flops', 'params_str', 'flops_str')
    return {key: info[key] for key in keys}


def pair_complexity(
        cfg: Config,
        shape: Optional[Sequence[int]] = None) -> Dict[str, Dict[str, float]]:
    """Parameters and FLOPs of a distill config's teacher and student.

    Args:
        cfg (Config): A distill config (``model.teacher`` and
            ``model.architecture``).
        shape (Sequence[int], optional): (height, width) of the batch;
            defaults to :func:`config_input_shape`. Each network counts at
            its own share of it where the config sets ``input_scales``.

    Returns:
        dict: ``{'teacher': {...}, 'student': {...}}`` as
        :func:`model_complexity` returns them, each with its ``shape``.
    """
    shape = tuple(shape) if shape is not None else config_input_shape(cfg)
    scales = InputScales.build(cfg.model.get('input_scales'))
    results = {}
    for role, key in ROLES:
        model = inference_network(cfg.model[key])
        role_shape = scales.prediction_size(role, shape)
        results[role] = dict(
            model_complexity(model, role_shape), shape=role_shape)
        del model  # full-size teachers are large: one model at a time
    return results


def config_complexity(
        cfg: Config,
        shape: Optional[Sequence[int]] = None) -> Dict[str, Dict[str, float]]:
    """Parameters and FLOPs of a distill config's pair, or of the one model
    of another config (e.g. a network with an auxiliary module, counted
    without it).

    Args:
        cfg (Config): The config.
        shape (Sequence[int], optional): (height, width) of the input;
            defaults to :func:`config_input_shape`.

    Returns:
        dict: :func:`pair_complexity`'s results, or ``{'model': {...}}``.
    """
    if 'architecture' in cfg.model:
        return pair_complexity(cfg, shape)
    shape = tuple(shape) if shape is not None else config_input_shape(cfg)
    # Built in the scope the config's runner would build it in.
    scope = cfg.model.get('_scope_', cfg.get('default_scope', 'mmseg'))
    model = inference_network(dict(cfg.model, _scope_=scope))
    return dict(model=dict(model_complexity(model, shape), shape=shape))


def format_complexity(results: Dict[str, Dict[str, float]]) -> str:
    """A Markdown table of :func:`config_complexity`'s results.

    Args:
        results (dict): ``{'teacher': {...}, 'student': {...}}`` or
            ``{'model': {...}}``.

    Returns:
        str: A row for each model and, for a pair, the student's share of
        the teacher's parameters and FLOPs.
    """
    lines = [
        '| model | input | params | FLOPs |', '| --- | --- | ---: | ---: |'
    ]
    for role in results:
        row = results[role]
        height, width = row['shape']
        lines.append(f"| {role} | {height}x{width} | {row['params_str']} | "
                     f"{row['flops_str']} |")
    if 'teacher' not in results:
        return '\n'.join(lines)
    teacher, student = results['teacher'], results['student']
    lines.append(f"| student / teacher | "
                 f"{student['params'] / teacher['params']:.1%} | "
                 f"{student['flops'] / teacher['flops']:.1%} |")
    return '\n'.join(lines)

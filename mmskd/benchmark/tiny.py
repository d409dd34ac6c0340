# Copyright (c) mmskd contributors. All rights reserved.
"""The ``--tiny`` preset: model overrides that shrink a config's networks.

``tools/analysis_tools/benchmark.py --tiny`` times the real configs with
these tiny networks (a fast CPU or CI run), and the test suite trains them
(``mmskd.testing`` adds the data and schedule overrides). Everything here is
an ordinary dotted ``model.*`` override of the user-facing config, so a tiny
run builds the very files users train with.

Segmentors become narrow ResNet-18-D8s (``TINY_WIDTH``); detectors narrow
ResNets with 64-channel FPNs and heads (``TINY_DET_WIDTH``,
``TINY_DET_CHANNELS``). Class counts stay, so score-map terms and critics
keep their shapes. Both work on distillation configs (``model.architecture``
and ``model.teacher``) and on plain model-zoo configs (``model``, shrunk
like a distillation config's student, so that a student checkpoint
converted from a tiny distillation run loads into it).
"""
from typing import Any, Dict, List, Sequence, Tuple, Union

from mmengine.config import Config, ConfigDict

from mmskd.models.teachers import ensemble_members

# Segmentation: ResNet (stem, layer1) widths per role; layers 1-4 of the
# BasicBlock ResNet-18 have base x1, x2, x4 and x8 channels.
TINY_WIDTH = dict(architecture=(16, 8), teacher=(16, 16))
DECODE_HEADS_WITH_C1 = ('DepthwiseSeparableASPPHead', )
# MobileNetV2 backbones (mmseg's m-v2-d8, mmdet's FCOS MobileNetV2) shrink
# by width instead: at 1/4, the outputs of out_indices 0-6 (16, 24, 32, 64,
# 96, 160 and 320 channels) are make_divisible(c / 4, 8) wide; mmseg's
# decode head reads the 320-channel layer 6 and its auxiliary head the
# 96-channel layer 4.
MOBILENET_WIDEN = 0.25
MOBILENET_WIDTHS = (8, 8, 8, 16, 24, 40, 80)
MOBILENET_HEAD_INPUTS = dict(decode_head=80, auxiliary_head=24)

# Detection: ResNet base widths per role (stage i has base * 2**i channels,
# times 4 for bottleneck blocks), and the FPN and head channels, the same
# for teacher and student (channel-wise terms compare FPN channels one to
# one). GN necks and heads use 32 groups, and GroupNorm refuses a group of
# one value: P7 of a 128 x 96 image is 1 x 1, so each group needs 2
# channels.
TINY_DET_WIDTH = dict(architecture=8, teacher=16)
TINY_DET_CHANNELS = 64
TINY_DISCRIMINATOR_CHANNELS = 8
RESNET_TYPES = ('ResNet', 'ResNetV1d', 'ResNeXt')


def resolved_model(model_cfg: dict) -> ConfigDict:
    """The model dict behind a ``cfg_path`` reference, overrides merged.

    Args:
        model_cfg (dict): A model config or ``dict(cfg_path=..., ...)``.

    Returns:
        ConfigDict: The full model config (read for head and backbone types).
    """
    from mmskd.models.utils import load_model_cfg
    return load_model_cfg(model_cfg)


def is_distill_model(model_cfg: dict) -> bool:
    """Whether a ``model`` config is a distillation algorithm's.

    Args:
        model_cfg (dict): A config's ``model``.

    Returns:
        bool: True if it has both an ``architecture`` and a ``teacher``.
    """
    return 'architecture' in model_cfg and 'teacher' in model_cfg


def tiny_segmentor_options(prefix: str,
                           model: dict,
                           role: str = 'architecture') -> Dict[str, Any]:
    """Overrides turning a ResNet-D8 segmentor into a narrow ResNet-18 (a
    MobileNetV2-D8 one into a MobileNetV2 of 1/4 width, a SegFormer into
    one of a block a stage).

    Args:
        prefix (str): The dotted key of the model, e.g.
            ``'model.architecture'``.
        model (dict): The full model config (read for its head types).
        role (str): Whose width in ``TINY_WIDTH``: ``'architecture'``
            (student) or ``'teacher'``.

    Returns:
        dict: Dotted keys to values.
    """
    stem, base = TINY_WIDTH[role]
    kind = model.get('backbone', {}).get('type', '').split('.')[-1]
    if kind == 'MixVisionTransformer':
        return _tiny_segformer_options(prefix, base)
    mobilenet = kind == 'MobileNetV2'
    inputs = MOBILENET_HEAD_INPUTS if mobilenet else dict(
        decode_head=base * 8, auxiliary_head=base * 4)
    options = {
        f'{prefix}.pretrained': None,
        f'{prefix}.decode_head.in_channels': inputs['decode_head'],
        f'{prefix}.decode_head.channels': base * 2,
    }
    if mobilenet:
        options[f'{prefix}.backbone.widen_factor'] = MOBILENET_WIDEN
    else:
        options[f'{prefix}.backbone.depth'] = 18
        options[f'{prefix}.backbone.stem_channels'] = stem
        options[f'{prefix}.backbone.base_channels'] = base
    if model.get('decode_head', {}).get('type') in DECODE_HEADS_WITH_C1:
        options[f'{prefix}.decode_head.c1_in_channels'] = base
        options[f'{prefix}.decode_head.c1_channels'] = 4
    auxiliary = model.get('auxiliary_head')
    stage_lists = isinstance(auxiliary, list) or isinstance(
        (auxiliary or {}).get('in_channels'), (list, tuple))
    if mobilenet and stage_lists:
        raise ValueError(
            'The tiny models shrink auxiliary heads over several stages '
            '(deep supervision, auxiliary modules) on ResNet backbones only; '
            f'{prefix} has a MobileNetV2 backbone.')
    if isinstance(auxiliary, list):  # deep supervision: a head per stage
        for index, head in enumerate(auxiliary):
            options[f'{prefix}.auxiliary_head.{index}.in_channels'] = \
                _stage_widths(head['in_index'], base)
            options[f'{prefix}.auxiliary_head.{index}.channels'] = base
    elif auxiliary:
        options[f'{prefix}.auxiliary_head.in_channels'] = \
            _stage_widths(auxiliary['in_index'], base) if isinstance(
                auxiliary.get('in_channels'), (list, tuple)) else \
            inputs['auxiliary_head']
        options[f'{prefix}.auxiliary_head.channels'] = base
    return options


def _stage_widths(in_index: Union[int, Sequence[int]],
                  base: int) -> Union[int, List[int]]:
    """The widths of the narrow ResNet-18's stages ``in_index`` reads
    (``base`` doubling stage by stage), as an int for one stage."""
    if isinstance(in_index, int):
        return base * 2**in_index
    return [base * 2**index for index in in_index]


def _tiny_segformer_options(prefix: str, base: int) -> Dict[str, Any]:
    """A SegFormer (MiT backbone, SegformerHead) of one block a stage, one
    head and ``base`` channels in each of its four outputs."""
    return {
        f'{prefix}.pretrained': None,
        f'{prefix}.backbone.init_cfg': None,
        f'{prefix}.backbone.embed_dims': base,
        f'{prefix}.backbone.num_layers': [1, 1, 1, 1],
        f'{prefix}.backbone.num_heads': [1, 1, 1, 1],
        f'{prefix}.decode_head.in_channels': [base] * 4,
        f'{prefix}.decode_head.channels': base * 2,
    }


def connector_width_options(model_cfg: dict) -> Dict[str, Any]:
    """Tiny widths for the connectors of a segmentation distiller.

    A connector is assumed to map the student's decode-head feature
    (``decode_head.channels`` wide) to the teacher's, as in every mmskd
    feature config. Only widths a config states are overridden; a connector
    that infers its widths from the recorded modules needs none.

    Args:
        model_cfg (dict): The distillation config's ``model``.

    Returns:
        dict: Dotted keys to values.
    """
    student_width = TINY_WIDTH['architecture'][1] * 2
    teacher_width = TINY_WIDTH['teacher'][1] * 2
    options: Dict[str, Any] = {}
    connectors = (model_cfg.get('distiller') or {}).get('connectors') or {}
    for name, connector in connectors.items():
        prefix = f'model.distiller.connectors.{name}'
        if 'in_channel' in connector:
            options[f'{prefix}.in_channel'] = student_width
        if 'out_channel' in connector:
            options[f'{prefix}.out_channel'] = teacher_width
    return options


def tiny_seg_model_options(cfg: Config,
                           image_size: Sequence[int],
                           role: str = 'architecture') -> Dict[str, Any]:
    """The ``model.*`` overrides of a tiny segmentation run.

    For a distillation config: both segmentors (or the student and each
    teacher of a ``TeacherEnsemble``) shrunk, no teacher checkpoint,
    connectors at the tiny widths, and the discriminator's ``in_channels``
    set to the class count (which stays). For a plain
    config: the model shrunk to the width of ``role``.

    Args:
        cfg (Config): The loaded config (read for its model types).
        image_size (Sequence[int]): (height, width) of the input images; the
            data preprocessor pads to it.
        role (str): For a plain config, whose width in ``TINY_WIDTH`` it
            gets: ``'architecture'`` (a student, so that a converted
            student checkpoint loads into it) or ``'teacher'`` (a config
            that trains a teacher).

    Returns:
        dict: Dotted keys to values.
    """
    size = tuple(image_size)
    if not is_distill_model(cfg.model):
        options = tiny_segmentor_options('model', cfg.model, role)
        options['model.data_preprocessor.size'] = size
        return options
    options = {
        'model.teacher_ckpt': None,
        'model.architecture.data_preprocessor.size': size
    }
    for member in TINY_WIDTH:  # both models, each at its own width
        for prefix, model in _segmentors(f'model.{member}', cfg.model[member]):
            options.update(
                tiny_segmentor_options(prefix, resolved_model(model), member))
    for name in ensemble_members(cfg.model.teacher):
        options[f'model.teacher.teachers.{name}.ckpt'] = None
    options.update(connector_width_options(cfg.model))
    if 'in_channels' in (cfg.model.get('discriminator') or {}):
        student = resolved_model(cfg.model.architecture)
        options['model.discriminator.in_channels'] = \
            student.decode_head.num_classes
    return options


def _segmentors(prefix: str, model: dict) -> List[Tuple[str, dict]]:
    """The segmentors of a model config and their dotted keys: itself, or
    each teacher of a ``TeacherEnsemble``."""
    if model.get('type') not in ('TeacherEnsemble', 'mmskd.TeacherEnsemble'):
        return [(prefix, model)]
    return [(f'{prefix}.teachers.{name}', teacher)
            for name, teacher in model.teachers.items()]


def _tiny_backbone(prefix: str, backbone: dict,
                   base: int) -> Tuple[Dict[str, Any], List[int]]:
    """Overrides for a small ResNet-family (or MobileNetV2) backbone and its
    stage widths.

    Plain ResNets become ResNet-18. ResNeXt and backbones with DCN keep their
    type and DCN on a 50-layer bottleneck net (the smallest depth they
    support), ResNeXt with 2 groups of ``base / 2`` so that stage widths stay
    ``base * 2**i``.

    Args:
        prefix (str): The dotted key of the detector.
        backbone (dict): Its backbone config.
        base (int): The base width.

    Returns:
        tuple: The overrides and the channels of the backbone's outputs.

    Raises:
        NotImplementedError: For a backbone outside the ResNet family and
            MobileNetV2.
    """
    kind = backbone.get('type', '').split('.')[-1]
    if kind == 'MobileNetV2':
        return ({
            f'{prefix}.backbone.widen_factor': MOBILENET_WIDEN,
            f'{prefix}.backbone.init_cfg': None,
        }, [MOBILENET_WIDTHS[i] for i in backbone['out_indices']])
    if kind not in RESNET_TYPES:
        raise NotImplementedError(
            f'the tiny preset shrinks ResNet-family and MobileNetV2 '
            f'backbones, not '
            f'{backbone.get("type")!r} ({prefix}.backbone).')
    key = f'{prefix}.backbone'
    options: Dict[str, Any] = {
        f'{key}.base_channels': base,
        f'{key}.stem_channels': base,
        f'{key}.init_cfg': None,
    }
    bottleneck = kind == 'ResNeXt' or backbone.get('dcn') is not None
    options[f'{key}.depth'] = 50 if bottleneck else 18
    if kind == 'ResNeXt':
        options[f'{key}.groups'] = 2
        options[f'{key}.base_width'] = base // 2
    expansion = 4 if bottleneck else 1
    out_indices = backbone.get('out_indices', (0, 1, 2, 3))
    return options, [base * 2**i * expansion for i in out_indices]


def tiny_detector_options(prefix: str,
                          model: dict,
                          role: str = 'architecture') -> Dict[str, Any]:
    """Overrides turning a one-stage FPN detector into a tiny one.

    Args:
        prefix (str): The dotted key of the model, e.g. ``'model.teacher'``.
        model (dict): The full model config.
        role (str): Whose width in ``TINY_DET_WIDTH``.

    Returns:
        dict: Dotted keys to values.
    """
    options, stage_channels = _tiny_backbone(prefix, model['backbone'],
                                             TINY_DET_WIDTH[role])
    channels = TINY_DET_CHANNELS
    options[f'{prefix}.neck.in_channels'] = stage_channels
    options[f'{prefix}.neck.out_channels'] = channels
    head = model.get('bbox_head', {})
    options[f'{prefix}.bbox_head.in_channels'] = channels
    options[f'{prefix}.bbox_head.feat_channels'] = channels
    if 'stacked_convs' in head:
        options[f'{prefix}.bbox_head.stacked_convs'] = 1
    if head.get('type', '').endswith('RepPointsHead'):
        options[f'{prefix}.bbox_head.point_feat_channels'] = channels
    if model.get('pretrained') is not None:
        options[f'{prefix}.pretrained'] = None
    # An untrained detector scores every box near its prior (0.01 with focal
    # loss), under mmdet's 0.05 threshold; keep its boxes so that CocoMetric
    # has detections to score.
    if 'test_cfg' in model:
        options[f'{prefix}.test_cfg.score_thr'] = 0.0
    return options


def tiny_det_model_options(cfg: Config) -> Dict[str, Any]:
    """The ``model.*`` overrides of a tiny detection run.

    For a distillation config: both detectors shrunk, no teacher checkpoint
    and a narrow discriminator (its ``in_channels``, the class count,
    stays). For a plain config: the detector shrunk to the student's width.

    Args:
        cfg (Config): The loaded config (read for its model types).

    Returns:
        dict: Dotted keys to values.
    """
    if not is_distill_model(cfg.model):
        return tiny_detector_options('model', cfg.model)
    options: Dict[str, Any] = {'model.teacher_ckpt': None}
    for role in TINY_DET_WIDTH:
        options.update(
            tiny_detector_options(f'model.{role}',
                                  resolved_model(cfg.model[role]), role))
    if cfg.model.get('discriminator') is not None:
        options['model.discriminator.base_channels'] = \
            TINY_DISCRIMINATOR_CHANNELS
    return options

# Copyright (c) mmskd contributors. All rights reserved.
"""``--cfg-options`` that shrink a real mmskd config to a CPU smoke run.

Everything here is an ordinary dotted override of the user-facing config,
so tests exercise the very files users train with.
"""
from typing import Any, Dict, List, Tuple, Union

from mmengine.config import Config

# mmseg's train pipelines are [load, annotations, RandomResize, RandomCrop,
# flip, photometric, pack]; test pipelines are [load, Resize, annotations,
# pack].
TRAIN_RESIZE, TRAIN_CROP, TEST_RESIZE = 2, 3, 1

# ResNet channel widths of the tiny models: stem, then layer1 (x1, x2, x4,
# x8 for layers 1-4 with BasicBlock).
TINY_WIDTH = dict(architecture=(16, 8), teacher=(16, 16))
STUDENT_BASE, TEACHER_BASE = (TINY_WIDTH[role][1]
                              for role in ('architecture', 'teacher'))

DECODE_HEADS_WITH_C1 = ('DepthwiseSeparableASPPHead', )


# MobileNetV2-D8 segmentors (mmseg's m-v2-d8) shrink by width instead: at
# 1/4, the outputs their heads read (96 and 320 channels) are 24 and 80 wide.
MOBILENET_WIDEN = 0.25
MOBILENET_HEAD_INPUTS = dict(decode_head=80, auxiliary_head=24)


def _tiny_segmentor(prefix: str, model: dict, stem: int,
                    base: int) -> Dict[str, Any]:
    """Overrides turning a ResNet-D8 segmentor into a ResNet-18 of ``base``
    (a MobileNetV2-D8 one into a MobileNetV2 of 1/4 width)."""
    mobilenet = model.get('backbone', {}).get('type') == 'MobileNetV2'
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
    if model.get('auxiliary_head'):
        options[f'{prefix}.auxiliary_head.in_channels'] = \
            inputs['auxiliary_head']
        options[f'{prefix}.auxiliary_head.channels'] = base
    return options


DataRoot = Union[str, Dict[str, str]]


def _datasets(cfg: Config, loader: str) -> List[Tuple[str, dict]]:
    """The datasets a dataloader reads, with their dotted keys: each member
    of a ``ConcatDataset`` (VOC aug, unlabelled images) on its own."""
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
        raise KeyError(f'no generated data for {dataset.type} (have '
                       f'{sorted(data_root)})')
    return data_root[dataset.type]


def _data_options(cfg: Config, data_root: DataRoot, max_iters: int,
                  val_interval: int,
                  image_size: Tuple[int, int]) -> Dict[str, Any]:
    """Schedule, logging and dataloader overrides shared by every config."""
    height, width = image_size
    options: Dict[str, Any] = {
        'train_cfg.max_iters': max_iters,
        'train_cfg.val_interval': val_interval,
        'default_hooks.checkpoint.interval': val_interval,
        'default_hooks.logger.interval': 1,
        'train_dataloader.batch_size': 2,
    }
    # A sampler that composes batches (mmdet's MultiSourceSampler) must
    # compose the same 2 images.
    if 'batch_size' in cfg.train_dataloader.get('sampler', {}):
        options['train_dataloader.sampler.batch_size'] = 2
    for split in ('train', 'val', 'test'):
        loader = f'{split}_dataloader'
        options[f'{loader}.num_workers'] = 0
        options[f'{loader}.persistent_workers'] = False
        for prefix, dataset in _datasets(cfg, loader):
            options[f'{prefix}.data_root'] = _root_of(data_root, dataset)
            pipeline = f'{prefix}.pipeline'
            if split == 'train':
                options[f'{pipeline}.{TRAIN_RESIZE}.scale'] = (width, height)
                options[f'{pipeline}.{TRAIN_CROP}.crop_size'] = (height,
                                                                 width)
                # VOC pads each crop to the full crop size.
                for index, step in enumerate(dataset.pipeline):
                    if step.get('type') == 'Pad':
                        options[f'{pipeline}.{index}.size'] = (height, width)
            else:
                options[f'{pipeline}.{TEST_RESIZE}.scale'] = (width, height)
    return options


def _distiller_options(model_cfg: dict, num_classes: int) -> Dict[str, Any]:
    """Tiny widths for the parts of a distill model beside its two models.

    A connector is assumed to map the student's decode-head feature
    (``decode_head.channels`` wide) to the teacher's, as in every mmskd
    feature config; a discriminator reads the score maps, whose class count
    the tiny models keep.
    """
    options: Dict[str, Any] = {}
    connectors = (model_cfg.get('distiller') or {}).get('connectors') or {}
    for name, connector in connectors.items():
        prefix = f'model.distiller.connectors.{name}'
        if 'in_channel' in connector:
            options[f'{prefix}.in_channel'] = STUDENT_BASE * 2
        if 'out_channel' in connector:
            options[f'{prefix}.out_channel'] = TEACHER_BASE * 2
    if 'in_channels' in (model_cfg.get('discriminator') or {}):
        options['model.discriminator.in_channels'] = num_classes
    return options


def tiny_seg_options(cfg: Config,
                     data_root: DataRoot,
                     max_iters: int = 2,
                     val_interval: int = 2,
                     image_size: Tuple[int, int] = (64, 128)
                     ) -> Dict[str, Any]:
    """Overrides for a few CPU iterations of a segmentation distill config.

    The student and teacher become narrow ResNet-18s (``TINY_WIDTH``), the
    connectors (student decode-head feature to teacher's) follow their
    widths, and a ``discriminator.in_channels`` is set to the class count,
    which stays unchanged.

    Args:
        cfg (Config): The loaded config (read to know its head types).
        data_root (str | dict): A dataset in the layout of the config's
            dataset, e.g. written by ``write_cityscapes_like``; or one per
            dataset type, for configs that read several (the members of a
            ``ConcatDataset``).
        max_iters (int): Training iterations.
        val_interval (int): Validate and checkpoint every this many iters.
        image_size (tuple): (height, width) of the generated images.

    Returns:
        dict: Dotted keys to values, for ``Config.merge_from_dict`` or
        ``format_cfg_options``.
    """
    height, width = image_size
    options = _data_options(cfg, data_root, max_iters, val_interval,
                            image_size)
    options['model.teacher_ckpt'] = None
    options['model.architecture.data_preprocessor.size'] = (height, width)
    for role, (stem, base) in TINY_WIDTH.items():
        model = _resolved_model(cfg.model[role])
        options.update(_tiny_segmentor(f'model.{role}', model, stem, base))
    from mmskd.models.utils import load_model_cfg
    num_classes = load_model_cfg(
        cfg.model.architecture).decode_head.num_classes
    options.update(_distiller_options(cfg.model, num_classes))
    return options


def tiny_model_options(cfg: Config,
                       data_root: DataRoot,
                       role: str = 'architecture',
                       max_iters: int = 2,
                       val_interval: int = 2,
                       image_size: Tuple[int, int] = (64, 128)
                       ) -> Dict[str, Any]:
    """Overrides shrinking a plain model-zoo config like ``tiny_seg_options``.

    The model gets the tiny width of ``role`` in a distill config, so that
    e.g. a student checkpoint converted from a tiny distill run loads into
    the student's own mmseg config (``mmseg/.mim/tools/test.py``).

    Args:
        cfg (Config): A model config such as
            ``pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py``.
        data_root (str | dict): A dataset in the layout of the config's
            dataset, or one per dataset type.
        role (str): ``'architecture'`` (student) or ``'teacher'`` width.
        max_iters (int): Training iterations.
        val_interval (int): Validate and checkpoint every this many iters.
        image_size (tuple): (height, width) of the generated images.

    Returns:
        dict: Dotted keys to values.
    """
    options = _data_options(cfg, data_root, max_iters, val_interval,
                            image_size)
    options['model.data_preprocessor.size'] = tuple(image_size)
    stem, base = TINY_WIDTH[role]
    options.update(_tiny_segmentor('model', cfg.model, stem, base))
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

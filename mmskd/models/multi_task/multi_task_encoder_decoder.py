# Copyright (c) mmskd contributors. All rights reserved.
"""A hard-parameter-sharing multi-task network: one encoder, one decoder per
task (thesis ch. 6, App. A.1)."""
from typing import Dict, List, Optional, Sequence, Union

from mmengine.structures import PixelData
from mmseg.models.segmentors import BaseSegmentor
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample
from mmseg.utils import (ConfigType, OptConfigType, OptMultiConfig,
                         OptSampleList, SampleList, add_prefix)
from torch import Tensor, nn

from mmskd.structures import mirror_normals
from .task_weights import scale_losses
from .tasks import PREDICTION_FIELDS, TASKS

# How a flipped image's maps are flipped back ((N, C, H, W) maps).
FLIPPED_DIMS = dict(horizontal=(3, ), vertical=(2, ), diagonal=(2, 3))


@MODELS.register_module()
class MultiTaskEncoderDecoder(BaseSegmentor):
    """One shared encoder and a decode head per task.

    The baseline of the thesis's multi-task learning (App. A.1): the tasks
    share the backbone (and ``neck``, e.g. the "context" network's ASPP) and
    each has its own decode head, trained with the sum of the task losses
    weighted by ``task_weights`` (the thesis's :math:`\\alpha^t = 1`, or
    Kendall et al.'s uncertainty weighting). A task is named by what it
    predicts, which fixes the field of its prediction: ``seg``
    (``pred_sem_seg`` and ``seg_logits``, e.g. mmseg's ``FCNHead``),
    ``depth`` (``pred_depth_map``, e.g. ``mmskd.DepthBinHead``) and
    ``normals`` (``pred_normals``, ``mmskd.SurfaceNormalHead``); its head
    reads its ground truth itself (``gt_sem_seg``, ``gt_depth_map``,
    ``gt_normals``). One task is a single-task network of the same design.

    Auxiliary heads (the auxiliary module per task, AT_seg/AT_depth/AT_both,
    or deep supervision) are trained with **their task head's loss**
    (``loss_by_feat`` on their output), weighted by the ``loss_weight`` of
    their entry, so that each is supervised exactly as its task is; their
    own ``loss_decode`` is not used. They are built with their task head's
    ``num_classes`` and are not run at test time: removing them (``tools/
    model_converters/convert_to_student.py --drop-auxiliary-heads``) leaves
    the network a config without them builds.

    Inference is on the whole image (``test_cfg.mode='whole'``, the default);
    the maps are cropped of their padding, flipped back (the normals
    mirrored), resized to the original image and, for normals, made unit
    again. Depth is refused on a resized test image (its scale would be
    off).

    Args:
        backbone (dict): The shared encoder.
        decode_heads (dict[str, dict]): A head per task, keyed by ``seg``,
            ``depth`` or ``normals``, in the order their losses are logged.
        neck (dict, optional): A shared part after the backbone.
        auxiliary_heads (dict[str, dict | list[dict]], optional): Training-
            only heads per task; an entry may set ``loss_weight`` (default
            1.0), the scale of its loss.
        task_weights (dict, optional): How the task losses are weighted.
            Defaults to mmskd's ``FixedTaskWeights`` (every weight 1).
        train_cfg (dict, optional): Passed to the heads' ``loss``.
        test_cfg (dict, optional): ``mode`` (only ``'whole'``).
        data_preprocessor (dict, optional): Usually
            ``mmskd.MultiTaskDataPreProcessor``, which pads each task's map
            with its own value.
        pretrained (str, optional): The backbone's pretrained weights.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_heads: Dict[str, ConfigType],
                 neck: OptConfigType = None,
                 auxiliary_heads: Optional[Dict[str, object]] = None,
                 task_weights: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        _check_tasks('decode_heads', decode_heads or {}, required=True)
        _check_tasks('auxiliary_heads', auxiliary_heads or {})
        missing = set(auxiliary_heads or {}) - set(decode_heads)
        if missing:
            raise ValueError(
                f'auxiliary_heads has tasks {sorted(missing)} that '
                'decode_heads does not: add their decode heads or remove '
                'their auxiliary heads')
        if pretrained is not None:
            backbone = dict(backbone, pretrained=pretrained)
        self.backbone = MODELS.build(backbone)
        if neck is not None:
            self.neck = MODELS.build(neck)
        self.decode_heads = nn.ModuleDict({
            task: MODELS.build(cfg)
            for task, cfg in decode_heads.items()
        })
        self.auxiliary_heads = nn.ModuleDict()
        self.auxiliary_weights: Dict[str, List[float]] = {}
        for task, cfgs in (auxiliary_heads or {}).items():
            self._build_auxiliary_heads(task, cfgs)
        self.task_weights = MODELS.build(
            task_weights or dict(type='FixedTaskWeights', _scope_='mmskd'),
            default_args=dict(tasks=tuple(decode_heads)))
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg or dict(mode='whole')
        mode = self.test_cfg.get('mode', 'whole')
        if mode != 'whole':
            raise ValueError(
                f"MultiTaskEncoderDecoder infers on the whole image; set "
                f"test_cfg=dict(mode='whole') instead of mode={mode!r}")

    @property
    def tasks(self) -> Sequence[str]:
        """The tasks, in the order of ``decode_heads``."""
        return tuple(self.decode_heads)

    def _build_auxiliary_heads(self, task: str,
                               cfgs: Union[ConfigType,
                                           List[ConfigType]]) -> None:
        """Build a task's auxiliary heads with its head's class count.

        Args:
            task (str): The task.
            cfgs (dict | list[dict]): Its auxiliary heads, each with an
                optional ``loss_weight``.
        """
        if isinstance(cfgs, dict):
            cfgs = [cfgs]
        head = self.decode_heads[task]
        heads, weights = nn.ModuleList(), []
        for index, cfg in enumerate(cfgs):
            cfg = dict(cfg)
            weights.append(float(cfg.pop('loss_weight', 1.0)))
            cfg.setdefault('num_classes', head.num_classes)
            auxiliary = MODELS.build(cfg)
            outputs = auxiliary.conv_seg.out_channels
            if outputs != head.conv_seg.out_channels:
                raise ValueError(
                    f'auxiliary_heads.{task}[{index}] predicts {outputs} '
                    f"channels, the {task} head {head.conv_seg.out_channels}"
                    f': leave out its num_classes (it takes the head\'s)')
            heads.append(auxiliary)
        self.auxiliary_heads[task] = heads
        self.auxiliary_weights[task] = weights

    def extract_feat(self, inputs: Tensor) -> List[Tensor]:
        """The shared features: the backbone's outputs, through the neck."""
        features = self.backbone(inputs)
        if self.with_neck:
            features = self.neck(features)
        return features

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Dict[str, Tensor]:
        """Every task's map at the input's size.

        Args:
            inputs (Tensor): Images, (N, 3, H, W).
            batch_img_metas (list[dict]): Their meta information.

        Returns:
            dict[str, Tensor]: Per task: segmentation logits, depth
            (N, 1, H, W) or unit normals (N, 3, H, W).
        """
        features = self.extract_feat(inputs)
        return {
            task: head.predict(features, batch_img_metas, self.test_cfg)
            for task, head in self.decode_heads.items()
        }

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """The weighted task losses and the auxiliary heads' losses.

        Args:
            inputs (Tensor): Images, (N, 3, H, W).
            data_samples (list[SegDataSample]): Samples with each task's
                ground truth.

        Returns:
            dict[str, Tensor]: ``TASK.*`` and ``aux_TASK_I.*`` entries.
        """
        features = self.extract_feat(inputs)
        task_losses = {
            task: head.loss(features, data_samples, self.train_cfg)
            for task, head in self.decode_heads.items()
        }
        losses = self.task_weights(task_losses)
        for task, heads in self.auxiliary_heads.items():
            for index, auxiliary in enumerate(heads):
                weight = self.auxiliary_weights[task][index]
                outputs = auxiliary(features)
                task_loss = self.decode_heads[task].loss_by_feat(
                    outputs, data_samples)
                losses.update(
                    add_prefix(
                        scale_losses(task_loss, weight),
                        f'aux_{task}_{index}'))
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Every task's prediction at the original image size.

        Args:
            inputs (Tensor): Images, (N, 3, H, W).
            data_samples (list[SegDataSample], optional): Their samples.

        Returns:
            list[SegDataSample]: The samples with a prediction field per
            task (and ``seg_logits`` for segmentation).
        """
        if data_samples is None:
            metas = [
                dict(
                    ori_shape=inputs.shape[2:],
                    img_shape=inputs.shape[2:],
                    pad_shape=inputs.shape[2:],
                    padding_size=[0, 0, 0, 0])
            ] * inputs.shape[0]
            data_samples = [SegDataSample(metainfo=meta) for meta in metas]
        maps = self.encode_decode(inputs,
                                  [sample.metainfo for sample in data_samples])
        for index, sample in enumerate(data_samples):
            for task, task_maps in maps.items():
                self._write_prediction(sample, task,
                                       task_maps[index:index + 1])
        return data_samples

    def _write_prediction(self, sample: SegDataSample, task: str,
                          task_map: Tensor) -> None:
        """Crop, unflip and resize one image's map, then store it.

        Args:
            sample (SegDataSample): The image's sample (its meta is read).
            task (str): The map's task.
            task_map (Tensor): The map, (1, C, H, W) at the input's size.
        """
        meta = sample.metainfo
        # As mmseg's postprocess_result: a test-time pad of the image alone.
        padding = meta.get('img_padding_size',
                           meta.get('padding_size', [0] * 4))
        left, right, top, bottom = padding
        height, width = task_map.shape[2:]
        task_map = task_map[:, :, top:height - bottom, left:width - right]
        if meta.get('flip', False):
            direction = meta.get('flip_direction')
            task_map = task_map.flip(dims=FLIPPED_DIMS[direction])
            if task == 'normals':
                task_map = mirror_normals(task_map, direction, channel_axis=1)
        if task == 'depth':
            _refuse_rescaled_depth(task_map.shape[2:], meta)
        task_map = resize(
            task_map,
            size=meta['ori_shape'],
            mode='bilinear',
            align_corners=self.decode_heads[task].align_corners,
            warning=False)[0]
        if task == 'seg':
            sample.set_data(
                dict(
                    seg_logits=PixelData(data=task_map),
                    pred_sem_seg=PixelData(
                        data=task_map.argmax(dim=0, keepdim=True))))
            return
        if task == 'normals':
            task_map = nn.functional.normalize(task_map, dim=0)
        sample.set_data({PREDICTION_FIELDS[task]: PixelData(data=task_map)})

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Dict[str, Tensor]:
        """Every task head's raw output (``mode='tensor'``).

        Args:
            inputs (Tensor): Images, (N, 3, H, W).
            data_samples (list[SegDataSample], optional): Unused.

        Returns:
            dict[str, Tensor]: Each task head's ``forward``.
        """
        features = self.extract_feat(inputs)
        return {
            task: head.forward(features)
            for task, head in self.decode_heads.items()
        }


def _check_tasks(name: str, heads: dict, required: bool = False) -> None:
    """Refuse a task with no prediction field, or no task at all.

    Args:
        name (str): The argument, for the message.
        heads (dict): Its heads by task.
        required (bool): Whether it needs a task. Defaults to False.
    """
    if required and not heads:
        raise ValueError(f'{name} needs a head for at least one task of '
                         f'{TASKS}')
    unknown = sorted(set(heads) - set(TASKS))
    if unknown:
        raise ValueError(f'{name} has tasks {unknown}; a task is one of '
                         f'{TASKS} (what it predicts)')


def _refuse_rescaled_depth(size: Sequence[int], meta: dict) -> None:
    """Refuse depth predicted on a resized test image: the network reads
    depth off the scene's apparent size (training divides the depth by the
    resize scale), so it would be off by that scale.

    Args:
        size (Sequence[int]): The image's size as the network saw it.
        meta (dict): Its meta information (``ori_shape``).
    """
    if tuple(size) != tuple(meta['ori_shape']):
        raise ValueError(
            f'{meta.get("img_path")} is tested at {tuple(size)}, not at its '
            f'size {tuple(meta["ori_shape"])}: a depth prediction is tied to '
            'the image\'s scale. Remove the Resize from the test pipeline '
            '(or keep the image\'s size).')

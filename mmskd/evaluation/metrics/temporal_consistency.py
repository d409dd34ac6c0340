# Copyright (c) mmskd contributors. All rights reserved.
"""Temporal consistency (TC) of per-frame predictions, beside mIoU."""
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmseg.evaluation import IoUMetric
from torch import Tensor

from mmskd.models.flow import (PrecomputedFlow, check_flow, flow_warp,
                               warp_valid_mask)
from mmskd.registry import METRICS

SEQ_PRED_KEY = 'seq_pred_sem_seg'
SEQ_FLOW_KEY = 'seq_flow'
SEQ_FLOW_PATHS_KEY = 'seq_flow_paths'
Areas = Tuple[Tensor, Tensor, Tensor, Tensor]


def _as_tensor(value: Any) -> Tensor:
    """The tensor inside a data-sample field.

    Args:
        value (Any): A tensor, a numpy array, a ``PixelData`` (or any data
            element with a ``data`` field) or its ``to_dict()`` form.

    Returns:
        Tensor: The values as a tensor.
    """
    if isinstance(value, BaseDataElement):
        value = value.data
    elif isinstance(value, dict):
        value = value['data']
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    return value


@METRICS.register_module()
class TemporalConsistencyMetric(IoUMetric):
    """mIoU of the labelled frames and temporal consistency (TC).

    Following Liu et al. (thesis ch. 5, lines 1713 and 1730, after Lai et al.,
    ECCV 2018), TC measures how stable per-frame predictions P are along a
    video: the prediction of frame t+1 is warped to frame t with the flow
    M_{t->t+1} and compared with the prediction of frame t by IoU,

    .. math::
        TC = \\mathrm{mIoU}\\big(P_t, W(P_{t+1}; M_{t \\to t+1})\\big)

    with the per-class intersections and unions accumulated over every
    neighbouring pair (t, t+1) of every evaluated sequence before the IoU
    is taken (and averaged over the classes that occur, as mmseg's mIoU).
    Labels play no part: a predictor whose predictions follow the motion
    exactly scores 100 even if they are wrong. Labels are warped with
    nearest sampling (:func:`~mmskd.models.flow.flow_warp`); positions whose
    flow points out of frame t+1 are not counted; no occlusion mask is used
    (neither does the official evaluation).

    What a data sample (of the labelled frame) carries:

    - ``pred_sem_seg`` and ``gt_sem_seg``: as for mmseg's
      :class:`~mmseg.evaluation.IoUMetric`, for mIoU (and aAcc, mAcc);
    - ``seq_pred_sem_seg``: the predicted label maps of L >= 2 consecutive
      frames of its sequence, shape (L, H, W) (a tensor, an array, or a
      ``PixelData`` of that shape);
    - the flows between them, either ``seq_flow``: shape (L - 1, 2, H, W),
      flow i from frame i to frame i + 1, (dx, dy) in pixels of the
      predictions; or ``seq_flow_paths``: L - 1 ``.flo`` / ``.npy`` files of
      those flows (relative to ``flow_root``), as cached offline.

    The video algorithm's predict step (or the test pipeline) fills these
    fields; ``process`` reduces each sample to per-class areas at once, so
    the maps are not kept.

    Args:
        ignore_index (int): Label ignored by mIoU. Defaults to 255.
        iou_metrics (Sequence[str]): mmseg's metrics for the labelled
            frames. Defaults to ('mIoU', ).
        nan_to_num (int, optional): See mmseg's IoUMetric. Defaults to None.
        beta (int): See mmseg's IoUMetric. Defaults to 1.
        flow_root (str, optional): Folder of relative ``seq_flow_paths``.
            Defaults to None.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None.
    """

    def __init__(self,
                 ignore_index: int = 255,
                 iou_metrics: Sequence[str] = ('mIoU', ),
                 nan_to_num: Optional[int] = None,
                 beta: int = 1,
                 flow_root: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(
            ignore_index=ignore_index,
            iou_metrics=list(iou_metrics),
            nan_to_num=nan_to_num,
            beta=beta,
            collect_device=collect_device,
            prefix=prefix)
        self.flow_reader = PrecomputedFlow(flow_root)

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Reduce a batch of samples to per-class areas.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs, see the
                class docstring for the fields.

        Raises:
            KeyError: If a sample has no sequence predictions or flows.
        """
        num_classes = len(self.dataset_meta['classes'])
        for sample in data_samples:
            pred = _as_tensor(sample['pred_sem_seg']).squeeze()
            label = _as_tensor(sample['gt_sem_seg']).squeeze().to(pred)
            frame_areas = self.intersect_and_union(pred, label, num_classes,
                                                   self.ignore_index)
            pair_areas = self.temporal_areas(sample, num_classes)
            self.results.append((*frame_areas, *pair_areas))

    def temporal_areas(self, sample: dict, num_classes: int) -> Areas:
        """Per-class areas of P_t against warped P_{t+1}, over the pairs.

        Args:
            sample (dict): One data sample.
            num_classes (int): Number of classes.

        Returns:
            Tuple[Tensor, ...]: Intersection, union, warped-prediction and
            reference areas per class, summed over the L - 1 pairs.
        """
        if SEQ_PRED_KEY not in sample:
            raise KeyError(
                f'TemporalConsistencyMetric needs {SEQ_PRED_KEY!r} (the '
                'predictions of consecutive frames, (L, H, W)) in each data '
                f'sample, but got the fields {sorted(sample)}.')
        preds = _as_tensor(sample[SEQ_PRED_KEY]).long()
        flows = self._flows(sample, preds)
        warped = flow_warp(preds[1:, None].float(), flows, mode='nearest')
        reference = preds[:-1, None].clone()
        reference[~warp_valid_mask(flows)] = self.ignore_index
        return self.intersect_and_union(warped.round().long(), reference,
                                        num_classes, self.ignore_index)

    def _flows(self, sample: dict, preds: Tensor) -> Tensor:
        """The L - 1 flows of a sample's sequence, checked against it.

        Args:
            sample (dict): One data sample.
            preds (Tensor): Its sequence predictions, (L, H, W).

        Returns:
            Tensor: float32 flows of shape (L - 1, 2, H, W).

        Raises:
            ValueError: If there are fewer than 2 frames, or the flows do
                not fit the predictions.
            KeyError: If the sample has neither flow field.
        """
        if preds.dim() != 3 or preds.shape[0] < 2:
            raise ValueError(
                f'{SEQ_PRED_KEY} must hold L >= 2 label maps, (L, H, W), but '
                f'has shape {tuple(preds.shape)}.')
        num_pairs, size = preds.shape[0] - 1, preds.shape[-2:]
        if SEQ_FLOW_KEY in sample:
            flows = _as_tensor(sample[SEQ_FLOW_KEY]).float().to(preds.device)
        elif SEQ_FLOW_PATHS_KEY in sample:
            paths = list(sample[SEQ_FLOW_PATHS_KEY])
            if len(paths) != num_pairs:
                raise ValueError(
                    f'{num_pairs + 1} frames need {num_pairs} flow files in '
                    f'{SEQ_FLOW_PATHS_KEY}, but got {len(paths)}: {paths}.')
            flows = self.flow_reader.load(paths, size).to(preds.device)
        else:
            raise KeyError(
                f'TemporalConsistencyMetric needs the flows between the '
                f'frames of {SEQ_PRED_KEY}: {SEQ_FLOW_KEY!r} ((L - 1, 2, H, '
                f'W)) or {SEQ_FLOW_PATHS_KEY!r} (L - 1 .flo / .npy files), '
                f'but got the fields {sorted(sample)}.')
        check_flow(flows, size, num_pairs, f'{SEQ_FLOW_KEY}')
        return flows

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """mmseg's metrics of the labelled frames, plus TC.

        Args:
            results (list): The per-sample areas from :meth:`process`.

        Returns:
            Dict[str, float]: aAcc, mIoU (and the other ``iou_metrics``) and
            TC, in percent.
        """
        metrics = super().compute_metrics([areas[:4] for areas in results])
        pair_areas = [sum(column) for column in zip(*results)][4:]
        per_class = self.total_area_to_metrics(*pair_areas, ['mIoU'])['IoU']
        metrics['TC'] = np.round(np.nanmean(per_class) * 100, 2)
        print_log(
            f'temporal consistency (mIoU of neighbouring frames): '
            f'{metrics["TC"]}',
            logger='current')
        return metrics

# Copyright (c) mmskd contributors. All rights reserved.
"""The angle errors of predicted surface normals."""
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmseg.registry import METRICS

from mmskd.structures import has_normal

THRESHOLDS = (11.25, 22.5, 30.0)
# The median is read from a histogram of the errors in bins of this width
# (degrees), so that an image adds a fixed-size record however large it is.
BIN_WIDTH = 0.1
NUM_BINS = int(round(180 / BIN_WIDTH))


@METRICS.register_module()
class SurfaceNormalMetric(BaseMetric):
    """Mean and median angle error of normals, and the share of pixels
    within 11.25, 22.5 and 30 degrees (Eigen and Fergus, ICCV 2015).

    Over every pixel of the test set with a true normal (``gt_normals`` not
    the zero vector): ``normal_mean`` and ``normal_median`` in degrees (the
    median to within 0.05 degrees: the centre of its 0.1-degree histogram
    bin), ``normal_11.25``, ``normal_22.5`` and ``normal_30`` in percent.
    Reads ``pred_normals`` (unit, at the original size: what
    ``MultiTaskEncoderDecoder`` writes) and ``gt_normals``. Registered in
    mmseg's scope, where evaluators are built.

    Args:
        collect_device (str): Device of the results' collection. Defaults to
            ``'cpu'``.
        prefix (str, optional): Prefix of the metric names.
    """

    default_prefix = None

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Record the angle errors of each image.

        Args:
            data_batch (dict): The batch from the dataloader (unused).
            data_samples (Sequence[dict]): The model's outputs.
        """
        for sample in data_samples:
            if 'gt_normals' not in sample:
                raise KeyError(
                    'a test sample has no gt_normals: load them with '
                    'LoadSurfaceNormals and pack them with PackMultiTaskInputs'
                    ' in the test pipeline')
            predicted = sample['pred_normals']['data'].float().cpu()
            target = sample['gt_normals']['data'].float().cpu()
            if predicted.shape != target.shape:
                raise ValueError(
                    f'pred_normals {tuple(predicted.shape)} and gt_normals '
                    f'{tuple(target.shape)} differ in shape in '
                    f"{sample.get('img_path')}")
            self.results.append(angle_error_record(predicted, target))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """The metrics over every recorded pixel.

        Args:
            results (list[dict]): The records of ``process``.

        Returns:
            dict[str, float]: ``normal_mean``, ``normal_median`` and
            ``normal_T`` for each threshold T.
        """
        count = sum(record['count'] for record in results)
        if count == 0:
            raise ValueError(
                f'none of the {len(results)} images has a true normal (every '
                'gt_normals pixel is zero): check the normal maps')
        histogram = np.sum([record['histogram'] for record in results], 0)
        metrics = dict(
            normal_mean=sum(record['sum'] for record in results) / count,
            normal_median=histogram_median(histogram, count))
        for threshold in THRESHOLDS:
            within = sum(record['within'][threshold] for record in results)
            metrics[f'normal_{threshold:g}'] = 100.0 * within / count
        MMLogger.get_current_instance().info('normals: ' + ', '.join(
            f'{name} {value:.2f}' for name, value in metrics.items()))
        return metrics


def histogram_median(histogram: np.ndarray, count: int) -> float:
    """The median of the errors counted in ``histogram``: the centre of the
    bin of the middle one (the mean of the two middle ones' for an even
    count), so within half a bin of the true median.

    Args:
        histogram (np.ndarray): Counts per ``BIN_WIDTH`` bin.
        count (int): Their total.

    Returns:
        float: The median, in degrees.
    """
    cumulative = np.cumsum(histogram)
    middle = {(count + 1) // 2, count // 2 + 1}
    bins = [int(np.searchsorted(cumulative, rank)) for rank in middle]
    return (float(np.mean(bins)) + 0.5) * BIN_WIDTH


def angle_error_record(predicted: torch.Tensor, target: torch.Tensor) -> dict:
    """The angle errors (degrees) of one image's pixels with a true normal.

    Args:
        predicted (Tensor): Unit normals, (3, H, W).
        target (Tensor): True normals, (3, H, W), zero where there is none.

    Returns:
        dict: ``count``, ``sum`` of the errors, ``within`` (count per
        threshold) and ``histogram`` (``NUM_BINS`` counts).
    """
    valid = has_normal(target, channel_axis=0)[0]
    target = torch.nn.functional.normalize(target, dim=0)
    cosine = (predicted * target).sum(dim=0)[valid].clamp(-1.0, 1.0)
    errors = torch.rad2deg(torch.acos(cosine.double())).numpy()
    bins = np.minimum((errors / BIN_WIDTH).astype(np.int64), NUM_BINS - 1)
    return dict(
        count=int(errors.size),
        sum=float(errors.sum()),
        within={t: int((errors < t).sum())
                for t in THRESHOLDS},
        histogram=np.bincount(bins, minlength=NUM_BINS))

# Copyright (c) mmskd contributors. All rights reserved.
"""mmseg's ``DepthMetric`` with a working ``depth_metrics`` selection."""
import logging
from typing import Dict, List, Optional, Sequence

from mmengine.logging import print_log
from mmseg.evaluation.metrics import DepthMetric
from mmseg.registry import METRICS


@METRICS.register_module()
class PatchedDepthMetric(DepthMetric):
    """``DepthMetric`` that accepts a list of metrics and skips empty images.

    Two fixes over mmseg 1.2.2 (``mmseg/evaluation/metrics/depth_metric.py``):

    - ``depth_metrics=['abs_rel', 'rmse']`` raises ``TypeError: isinstance()
      arg 2 must be a type...`` there (line 69 calls
      ``isinstance(depth_metrics, [tuple, list])`` with a list), so only the
      default, all metrics, works. Here a list or tuple selects the metrics
      that are computed, logged and returned, an unknown name raises a
      ValueError listing the supported ones, and anything else a TypeError.
    - An image with no pixel inside the evaluation mask (no valid depth in
      ``(min_depth_eval, max_depth_eval)``, or none in the 'nyu_crop' window
      of a small image) makes every metric NaN there (0 / 0 averaged into the
      per-image mean). Here such images are left out with a warning; a run
      where no image can be evaluated raises a ValueError.

    Used as ``type='PatchedDepthMetric'`` (registered in mmseg's scope,
    where evaluators are built); the other arguments are ``DepthMetric``'s.

    Args:
        depth_metrics (Sequence[str], optional): Metrics to report, among
            ``DepthMetric.METRICS`` ('d1', 'd2', 'd3', 'abs_rel', 'sq_rel',
            'rmse', 'rmse_log', 'log10', 'silog'). Defaults to None (all).
        **kwargs: ``DepthMetric`` arguments (``min_depth_eval``,
            ``max_depth_eval``, ``crop_type``, ``output_dir``, ...).
    """

    def __init__(self,
                 depth_metrics: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        if depth_metrics is not None:
            if not isinstance(depth_metrics, (list, tuple)):
                raise TypeError('depth_metrics must be a list or tuple of '
                                f'metric names, got {depth_metrics!r}')
            unknown = [m for m in depth_metrics if m not in self.METRICS]
            if unknown or not depth_metrics:
                raise ValueError(
                    f'unsupported depth_metrics {list(depth_metrics)!r}: use '
                    f'a non-empty selection of {self.METRICS}')
        super().__init__(depth_metrics=None, **kwargs)
        if depth_metrics is not None:
            self.metrics = tuple(depth_metrics)

    def compute_metrics(self, results: List[tuple]) -> Dict[str, float]:
        """The selected metrics, averaged over the evaluable images.

        Args:
            results (list[tuple]): (gt depth, predicted depth) of the masked
                pixels of each image, from ``process``.

        Returns:
            dict[str, float]: Metric name to value.
        """
        if self.format_only:
            return super().compute_metrics(results)
        evaluable = [pair for pair in results if pair[0].numel() > 0]
        if not evaluable:
            raise ValueError(
                f'none of the {len(results)} images has a pixel to evaluate: '
                f'no ground-truth depth in ({self.min_depth_eval}, '
                f'{self.max_depth_eval}) within crop_type={self.crop_type!r}. '
                'Check that the depth maps load in metres '
                '(depth_rescale_factor of the depth loader) and that '
                'min_depth_eval, max_depth_eval and crop_type fit the '
                'dataset.')
        if len(evaluable) < len(results):
            print_log(
                f'DepthMetric: {len(results) - len(evaluable)} of '
                f'{len(results)} images have no pixel to evaluate and are '
                'left out of the averages.',
                logger='current',
                level=logging.WARNING)
        return super().compute_metrics(evaluable)

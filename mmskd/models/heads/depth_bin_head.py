# Copyright (c) mmskd contributors. All rights reserved.
"""A PSP depth head that classifies each pixel into log-spaced depth bins."""
import logging
from typing import List

import torch
from mmengine.logging import print_log
from mmseg.models.decode_heads import PSPHead
from mmseg.models.utils import resize
from mmseg.utils import SampleList
from torch import Tensor

from mmskd.registry import MODELS
from .depth_bins import (depth_to_bin, gaussian_bin_targets, log_bin_centres,
                         soft_bin_cross_entropy, target_band)
from .expected_depth import ExpectedDepth

WEIGHTINGS = ('gaussian', 'none')
# Keys of BaseDecodeHead that this head sets itself from its own arguments.
DERIVED_KEYS = {
    'num_classes': 'num_bins',
    'out_channels': 'num_bins (the prediction has 1 channel)',
    'loss_decode': 'loss_weight, weighting, alpha and loss_silog_weight',
}


@MODELS.register_module()
class DepthBinHead(PSPHead):
    """Monocular depth as classification over log-spaced depth bins.

    The SKD journal paper and thesis treat depth "as a classification task,
    as the continuous depth values can be divided into discrete categories
    [Cao et al.]. After we get the predict probability, we apply a weighted
    cross entropy loss following [VNL]" (``000_*.txt`` line 122, ``003_*.txt``
    line 796). This head does that on mmseg's PSP body (pyramid pooling and
    ``bottleneck``, unchanged), for any backbone, inside mmseg's
    ``DepthEstimator``:

    - ``conv_seg`` gives ``num_bins`` logits per pixel (a ``ModuleOutputs``
      recorder on ``decode_head.conv_seg`` records them for distillation;
      ``decode_head.bottleneck`` is the fused feature);
    - the prediction is the expected depth over the softmax :math:`p` and
      the log-spaced bin centres :math:`d_k` (``depth_bins.py``), taken in
      log space as VNL's code does, :math:`10^{\\sum_k p_k \\log_{10} d_k}`
      (``expectation='linear'``: :math:`\\sum_k p_k d_k`), a 1-channel map
      in the units of the ground truth (metres with mmseg's NYU pipeline),
      of the logits resized to the input;
    - ``forward`` also passes the logits through the parameter-free
      ``expected_depth`` submodule (:class:`ExpectedDepth`), one softmax and
      weighted sum at the logits' resolution, so that a recorder on
      ``decode_head.expected_depth`` records the depth map in every mode
      (the map the holistic term scores). ``forward`` still returns the
      logits, and the prediction and the losses are computed from them as
      without it;
    - the loss is the cross-entropy of the logits against a target
      distribution on the true bin :math:`k^*` of every valid pixel (depth >
      0), averaged over the valid pixels of the batch; depths outside the
      range count in the end bins.

    Weighting: ``'gaussian'`` (default) targets
    :math:`q(k | k^*) \\propto \\exp(-\\alpha (k - k^*)^2)`, normalised per
    :math:`k^*`, the "soft-weighted" reading of VNL's weighted cross-entropy
    (nearby bins are nearly right); ``'none'`` is plain one-hot
    cross-entropy. The defaults follow VNL's released ResNeXt-101 NYU
    setting (Yin et al., ICCV 2019): 150 bins and :math:`\\alpha = 0.2` (a
    bin one off gets weight 0.82, five off 0.007, before normalising). The
    range 0.1-10 m covers NYU's Kinect depths (about 0.5-10 m) and mmseg's
    NYU evaluation cap (``max_depth_eval=10``); with 150 bins each bin spans
    3.1 % of its depth.

    ``out_channels`` is 1, the channel count of the predicted map, which is
    what ``DepthEstimator`` reads to allocate its sliding-window output;
    ``num_classes`` is ``num_bins``, the width of ``conv_seg``.

    Images without valid pixels add nothing to the averages; a batch with no
    valid pixel at all gives zero losses (connected to the graph, so every
    parameter still gets a zero gradient) and one warning per head, rather
    than NaN or a stopped run: NYU's depth maps have invalid borders and
    holes, and a small random crop may see nothing else.

    Args:
        num_bins (int): Number of depth bins (``conv_seg`` outputs).
            Defaults to 150.
        min_depth (float): Near end of the binned range, > 0. Defaults to
            0.1.
        max_depth (float): Far end of the binned range, > ``min_depth``.
            Defaults to 10.0.
        weighting (str): ``'gaussian'`` (soft targets over neighbouring
            bins) or ``'none'`` (one-hot). Defaults to ``'gaussian'``.
        alpha (float): Sharpness of the gaussian targets; ignored by
            ``'none'``. Defaults to 0.2.
        loss_weight (float): Weight of the bin cross-entropy
            (``loss_depth_bin``). Defaults to 1.0.
        loss_silog_weight (float): Weight of mmseg's ``SiLogLoss`` on the
            expected depth (``loss_silog``), averaged over the images that
            have valid pixels; 0 leaves it out. Defaults to 0.0: the papers'
            depth task loss is the weighted cross-entropy alone.
        expectation (str): ``'log'`` or ``'linear'``, the space of the
            expected depth (:class:`ExpectedDepth`). Defaults to ``'log'``.
        **kwargs: ``PSPHead`` / ``BaseDecodeHead`` arguments
            (``in_channels``, ``channels``, ``pool_scales``, ``norm_cfg``,
            ``dropout_ratio``, ``align_corners``, ``in_index``, ...).
    """

    def __init__(self,
                 num_bins: int = 150,
                 min_depth: float = 0.1,
                 max_depth: float = 10.0,
                 weighting: str = 'gaussian',
                 alpha: float = 0.2,
                 loss_weight: float = 1.0,
                 loss_silog_weight: float = 0.0,
                 expectation: str = 'log',
                 **kwargs) -> None:
        for key, instead in DERIVED_KEYS.items():
            if key in kwargs:
                raise TypeError(f'DepthBinHead sets {key} itself: set '
                                f'{instead} instead of {key}={kwargs[key]!r}')
        if weighting not in WEIGHTINGS:
            raise ValueError(f'weighting must be one of {WEIGHTINGS}, got '
                             f'{weighting!r}')
        weights = dict(
            loss_weight=loss_weight, loss_silog_weight=loss_silog_weight)
        for name, value in weights.items():
            if not value >= 0:
                raise ValueError(f'{name} must be >= 0, got {value!r}')
        centres = log_bin_centres(num_bins, min_depth, max_depth)
        targets = gaussian_bin_targets(num_bins, alpha) \
            if weighting == 'gaussian' else torch.eye(num_bins)
        # 'mmseg.' finds the loss whatever the default scope of the build.
        super().__init__(
            num_classes=num_bins,
            loss_decode=dict(
                type='mmseg.SiLogLoss', loss_weight=loss_silog_weight),
            **kwargs)
        self.out_channels = 1
        self.num_bins = num_bins
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.weighting = weighting
        self.alpha = alpha
        self.loss_weight = loss_weight
        self.loss_silog_weight = loss_silog_weight
        # Derived from the arguments, so kept out of checkpoints (the
        # centres are a buffer of expected_depth).
        self.expected_depth = ExpectedDepth(centres, expectation)
        band_index, band_weights = target_band(targets)
        self.register_buffer('band_index', band_index, persistent=False)
        self.register_buffer('band_weights', band_weights, persistent=False)
        self._warned_empty = False

    @property
    def bin_centres(self) -> Tensor:
        """The (num_bins,) bin centres :math:`d_k`."""
        return self.expected_depth.bin_centres

    def forward(self, inputs: List[Tensor]) -> Tensor:
        """The bin logits; their depth map goes to ``expected_depth``.

        Args:
            inputs (list[Tensor]): Multi-level backbone features.

        Returns:
            Tensor: Bin logits of shape (N, num_bins, H', W').
        """
        bin_logits = super().forward(inputs)
        # Called for its recorders only (the result is not used here): the
        # distillers' hooks on decode_head.expected_depth see the depth map.
        self.expected_depth(bin_logits)
        return bin_logits

    def logits_to_depth(self, bin_logits: Tensor) -> Tensor:
        """The expected depth of bin logits (:class:`ExpectedDepth`).

        Unlike ``forward``'s call, this one is not seen by recorders on
        ``decode_head.expected_depth`` (it calls the module's ``forward``
        directly, without its hooks).

        Args:
            bin_logits (Tensor): Logits of shape (N, num_bins, H, W), e.g.
                recorded from ``decode_head.conv_seg``.

        Returns:
            Tensor: Float32 depth of shape (N, 1, H, W), in
            [d_0, d_{K-1}] (within ``[min_depth, max_depth]``).
        """
        return self.expected_depth.forward(bin_logits)

    def predict_by_feat(self, seg_logits: Tensor,
                        batch_img_metas: List[dict]) -> Tensor:
        """Resize the logits to the input like mmseg, then take the depth.

        Args:
            seg_logits (Tensor): Bin logits from ``forward``.
            batch_img_metas (list[dict]): Image meta information.

        Returns:
            Tensor: The expected depth, (N, 1, H, W) at the input size.
        """
        logits = super().predict_by_feat(seg_logits, batch_img_metas)
        return self.logits_to_depth(logits)

    def _stack_batch_gt(self, batch_data_samples: SampleList) -> Tensor:
        """Stack the ``gt_depth_map`` of each sample into (N, 1, H, W)."""
        missing = [
            index for index, sample in enumerate(batch_data_samples)
            if 'gt_depth_map' not in sample
        ]
        if missing:
            raise KeyError(
                f'samples {missing} of the batch have no gt_depth_map: load '
                'it with LoadDepthAnnotation before PackSegInputs')
        return torch.stack(
            [sample.gt_depth_map.data for sample in batch_data_samples])

    def loss_by_feat(self, seg_logits: Tensor,
                     batch_data_samples: SampleList) -> dict:
        """The bin cross-entropy (and optional SiLog) on valid pixels.

        Args:
            seg_logits (Tensor): Bin logits from ``forward``.
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_depth_map`` (invalid pixels are 0).

        Returns:
            dict[str, Tensor]: ``loss_depth_bin`` and, when
            ``loss_silog_weight`` > 0, ``loss_silog``.
        """
        gt_depth = self._stack_batch_gt(batch_data_samples).float()
        logits = resize(
            seg_logits.float(),
            size=gt_depth.shape[2:],
            mode='bilinear',
            align_corners=self.align_corners)
        valid = (gt_depth > 0) & torch.isfinite(gt_depth)
        loss_names = ['loss_depth_bin']
        if self.loss_silog_weight > 0:
            loss_names.append(self.loss_decode.loss_name)
        if not valid.any():
            return self._empty_batch_losses(logits, loss_names)

        # Invalid pixels are given the last bin and left out of the mean, so
        # their logits get exactly zero gradient.
        true_bin = depth_to_bin(
            torch.where(valid, gt_depth, self.max_depth)[:, 0], self.num_bins,
            self.min_depth, self.max_depth)
        cross_entropy = soft_bin_cross_entropy(logits, true_bin,
                                               self.band_index,
                                               self.band_weights)[valid[:, 0]]
        losses = {'loss_depth_bin': self.loss_weight * cross_entropy.mean()}
        if self.loss_silog_weight > 0:
            # mmseg's SiLog is a mean over images in which an image without
            # valid pixels counts as 0; leaving those out makes it a mean
            # over labelled images, as the cross-entropy only counts valid
            # pixels.
            labelled = valid.flatten(1).any(1)
            depth = self.logits_to_depth(logits[labelled])
            losses[loss_names[1]] = self.loss_decode(depth, gt_depth[labelled])
        return losses

    def _empty_batch_losses(self, logits: Tensor,
                            loss_names: List[str]) -> dict:
        """Zero losses (and a one-time warning) for a batch without any
        valid pixel."""
        if not self._warned_empty:
            print_log(
                'DepthBinHead: a training batch has no valid depth pixel '
                '(all gt_depth_map values are 0); its depth loss is 0. Check '
                'the depth maps and the crop size if this repeats.',
                logger='current',
                level=logging.WARNING)
            self._warned_empty = True
        zero = logits.sum() * 0.0
        return {name: zero for name in loss_names}

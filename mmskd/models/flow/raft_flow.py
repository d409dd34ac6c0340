# Copyright (c) mmskd contributors. All rights reserved.
"""torchvision's RAFT as a frozen flow network (training time only).

The thesis uses FlowNet2 (ch. 5.3.4), whose official code needs custom CUDA
ops; torchvision ships RAFT (Teed and Deng, ECCV 2020) with pre-trained
weights and no custom ops, so it stands in for FlowNet2 here. torchvision is
imported when the source is built, not when mmskd is: mmskd works without
torchvision, and where torchvision does not import (e.g. a PyPI torchvision
beside a CPU-only torch fails with "operator torchvision::nms does not
exist") building this source raises an ImportError naming the alternatives.
"""
from typing import Any, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from mmskd.registry import TASK_UTILS
from ..utils import autocast_disabled
from .base_flow_source import BaseFlowSource

RAFT_VARIANTS = ('large', 'small')
# mmseg's SegDataPreProcessor defaults (ImageNet mean / std on 0-255 RGB).
DEFAULT_MEAN = (123.675, 116.28, 103.53)
DEFAULT_STD = (58.395, 57.12, 57.375)


def import_raft() -> Any:
    """Import ``torchvision.models.optical_flow``.

    Returns:
        module: ``torchvision.models.optical_flow``.

    Raises:
        ImportError: If torchvision is missing or fails to import, with the
            original error chained and the alternatives named.
    """
    try:
        from torchvision.models import optical_flow
    except (ImportError, RuntimeError, OSError) as error:
        raise ImportError(
            'RAFTFlow needs torchvision, which does not import here '
            f'({type(error).__name__}: {error}). Install the torchvision '
            'build that matches your torch (for CPU torch from '
            'https://download.pytorch.org/whl/cpu), or use another flow '
            "source: dict(type='PrecomputedFlow') takes .flo / .npy flow "
            "computed offline (the dataset's data_prefix['flow_path']; "
            'mmskd.models.flow.write_flo writes them), and '
            "dict(type='ConstantFlow', dx=..., dy=...) is a known synthetic "
            'flow for tests.') from error
    return optical_flow


@TASK_UTILS.register_module()
class RAFTFlow(BaseFlowSource):
    """Flow from torchvision's pre-trained RAFT, frozen.

    The frames arrive as the data preprocessor left them, normalised with
    ``mean`` and ``std`` (0-255 scale, RGB channel order); they are mapped
    back to [0, 1] and then to RAFT's [-1, 1], padded (replicating the
    border) to a multiple of 8 as RAFT requires, and the flow is cropped
    back. RAFT's flow has channel 0 = dx and channel 1 = dy in pixels, from
    the first image to the second, the mmskd convention.

    The network lives inside this plain object, so it is in no state dict
    and no optimizer (see :mod:`mmskd.models.flow.base_flow_source`); it is
    moved to the frames' device on first use and runs in float32 with
    autocast off.

    Args:
        variant (str): 'large' (``raft_large``) or 'small'. Defaults to
            'large'.
        weights (str, optional): A torchvision weights name for that
            variant, e.g. 'DEFAULT' or 'C_T_V2'; None builds RAFT with random
            weights (tests only). Pre-trained weights are downloaded to
            ``$TORCH_HOME/hub/checkpoints`` on first use. Defaults to
            'DEFAULT'.
        num_flow_updates (int): RAFT's refinement iterations. Defaults to 12
            (torchvision's default).
        mean (Sequence[float]): Per-channel mean the frames were normalised
            with. Defaults to mmseg's ImageNet mean.
        std (Sequence[float]): Per-channel std. Defaults to mmseg's.

    Raises:
        ImportError: When built where torchvision does not import.
        RuntimeError: When the weights cannot be fetched, naming the keys
            to set.
    """

    def __init__(self,
                 variant: str = 'large',
                 weights: Optional[str] = 'DEFAULT',
                 num_flow_updates: int = 12,
                 mean: Sequence[float] = DEFAULT_MEAN,
                 std: Sequence[float] = DEFAULT_STD) -> None:
        if variant not in RAFT_VARIANTS:
            raise ValueError(f'variant must be one of {RAFT_VARIANTS}, but '
                             f'got {variant!r}.')
        optical_flow = import_raft()
        builder = getattr(optical_flow, f'raft_{variant}')
        try:
            self.net = builder(weights=weights, progress=False).eval()
        except OSError as error:  # torch.hub's download, offline
            raise RuntimeError(
                f'Could not fetch torchvision\'s RAFT-{variant} weights '
                f'({error}). On a machine without network, put the file '
                'torchvision names at $TORCH_HOME/hub/checkpoints/, or use '
                'precomputed flow: model = dict(flow_source=dict('
                "_delete_=True, type='PrecomputedFlow')) in your config "
                "with the dataset's data_prefix['flow_path'] (docs/en/"
                'advanced_guides/video.md).') from error
        self.net.requires_grad_(False)
        self.num_flow_updates = int(num_flow_updates)
        self.mean = torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1)

    def _to_raft_range(self, img: Tensor) -> Tensor:
        """Undo the data preprocessor's normalisation, then map to [-1, 1].

        Args:
            img (Tensor): Normalised frames of shape (N, 3, H, W).

        Returns:
            Tensor: float32 frames in [-1, 1].
        """
        mean = self.mean.to(img.device)
        std = self.std.to(img.device)
        unit = (img.float() * std + mean) / 255.0
        return unit.clamp(0, 1) * 2 - 1

    def compute(self,
                img_t: Tensor,
                img_tk: Tensor,
                flow_paths: Optional[Sequence[str]],
                frame_gaps: Optional[Sequence[int]] = None) -> Tensor:
        """Run RAFT on each pair of the batch.

        Args:
            img_t (Tensor): Frames t, shape (N, 3, H, W).
            img_tk (Tensor): Frames t+k, shape (N, 3, H, W).
            flow_paths (Sequence[str], optional): Unused.
            frame_gaps (Sequence[int], optional): Unused.

        Returns:
            Tensor: The flow of shape (N, 2, H, W).
        """
        height, width = img_t.shape[-2:]
        pad = (0, -width % 8, 0, -height % 8)
        self.net.to(img_t.device).eval()
        with autocast_disabled(img_t.device):
            first = F.pad(self._to_raft_range(img_t), pad, mode='replicate')
            second = F.pad(self._to_raft_range(img_tk), pad, mode='replicate')
            flows = self.net(
                first, second, num_flow_updates=self.num_flow_updates)
        return flows[-1][..., :height, :width]

# Copyright (c) mmskd contributors. All rights reserved.
"""The holistic discriminator D(Q | I) of Structured Knowledge Distillation."""
from typing import List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor

from mmskd.registry import MODELS
from ..layers import RunningNorm2d, SAGANSelfAttention


def _replicate_pad_to(x: Tensor, min_size: int) -> Tensor:
    """Replicate-pad the two spatial dims of ``x`` up to ``min_size``.

    Dims that are already large enough are left alone, so this is a no-op
    (and launches nothing) for ordinary map sizes. The padding is split as
    evenly as possible between the two sides. Replicate rather than zero
    padding keeps the padded border at the map's own values, so a tiny map
    is "stretched" instead of being diluted by zeros.

    Args:
        x (Tensor): Tensor of shape (N, C, H, W).
        min_size (int): Minimal height and width of the result.

    Returns:
        Tensor: ``x`` itself, or its padded copy of shape
        (N, C, max(H, min_size), max(W, min_size)).
    """
    pad_h = max(min_size - x.size(-2), 0)
    pad_w = max(min_size - x.size(-1), 0)
    if pad_h == 0 and pad_w == 0:
        return x
    return F.pad(
        x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2),
        mode='replicate')


def _input_norm(kind: Union[str, bool, None],
                channels: int) -> Optional[nn.Module]:
    """The input normalisation layer ``input_norm`` names."""
    kind = {True: 'batch', False: None}.get(kind, kind)
    if kind is None:
        return None
    if kind == 'batch':
        return nn.BatchNorm2d(channels)
    if kind == 'running':
        return RunningNorm2d(channels)
    raise ValueError(
        f"input_norm must be 'batch', 'running' or None, got {kind!r}")


@MODELS.register_module()
class HolisticDiscriminator(BaseModule):
    """Conditional Wasserstein discriminator (the WGAN "critic") for
    holistic distillation (SKD).

    The embedding network ``D(Q | I)`` of Liu et al., *Structured Knowledge
    Distillation for Semantic Segmentation* (CVPR 2019) / *... for Dense
    Prediction* (TPAMI): it maps a score map ``Q`` (logits, N x C x H' x W'),
    optionally concatenated with the RGB image ``I`` resized to H' x W', to
    one real-valued score per image. The default is the paper's **A2L4**
    discriminator::

        [cat(Q, resize(I))] -> BN                       (input_norm)
        -> 4 x [conv k4 s2 p1 (SN) + LeakyReLU(0.1)]   64 -> 128 -> 256 -> 512
           with SAGAN self-attention after blocks 3 and 4
        -> conv k4 (no padding) -> 1 channel -> global average pool -> (N,)

    Ablations: ``attention_after=()`` is A0L4; ``num_blocks=2,
    attention_after=(1, 2)`` is A2L2. The official code's discriminator is
    ``condition_on_image=False, input_norm='batch',
    attention_spectral_norm=False``: BN on the logits only, spectral norm on
    the stride-2 convs but plain 1x1 projections in its self-attention.
    Following the official code (and SAGAN's discriminator), the stride-2
    blocks have no BatchNorm and the output convolution is a plain (not
    spectrally normalised) conv; the BN the paper describes is the input BN,
    which balances the very different scales of logits and RGB.

    Input normalisation: a train-mode BatchNorm (``'batch'``, the paper and
    the official code) normalises each scored batch with its own statistics,
    so it cannot see a per-channel shift or scale of the whole student batch
    against the teacher batch; ``'running'`` normalises with running
    statistics (:class:`~mmskd.models.layers.RunningNorm2d`) and keeps those
    differences visible; None leaves the input as it is.

    **Any map size >= 1 x 1 is accepted.** A k=4, s=2, p=1 conv maps a size
    ``s`` to ``floor(s / 2)``, so a dim of size 1 would vanish, and the
    unpadded output conv needs at least ``kernel_size`` pixels. Rather than
    change the official geometry for ordinary sizes, a dim that is too
    small is replicate-padded just before the layer that needs it: to
    ``max(kernel_size - 2, 1)`` before each stride-2 conv and to
    ``kernel_size`` before the output conv. With the default k=4, for every
    map whose sides are at least ``4 * 2 ** num_blocks`` (64 for A2L4, e.g.
    the official 65 x 65 crop or 64 x 128) nothing is padded and the layers
    are exactly the official ones; smaller maps (9 x 17, 33 x 65, 1 x 1)
    are padded along the way. The final average pool turns whatever spatial
    size is left into one score, so the output is always (N,).

    Args:
        in_channels (int): Number of channels (classes) C of the score map.
        condition_on_image (bool): Concatenate the image, bilinearly resized
            to the score map size (``align_corners=False``), as
            ``image_channels`` extra input channels (the paper). False
            scores the map alone (the official code). Defaults to True.
        image_channels (int): Channels of the conditioning image.
            Defaults to 3.
        input_norm (str, optional): Normalisation of the (concatenated)
            input: ``'batch'`` (BatchNorm2d), ``'running'`` (running
            statistics only) or None. True and False are read as
            ``'batch'`` and None. Defaults to ``'batch'``.
        base_channels (int): Channels of the first block; block ``i``
            (0-based) has ``base_channels * 2 ** i``. Defaults to 64.
        num_blocks (int): Number of stride-2 conv blocks (the ``L`` of
            AnLm). Defaults to 4.
        attention_after (Sequence[int]): 1-based indices of the blocks
            followed by a self-attention module (their number is the ``A``
            of AnLm). Defaults to (3, 4).
        spectral_norm (bool): Spectral normalisation on the stride-2 block
            convs. Defaults to True.
        attention_spectral_norm (bool, optional): Spectral normalisation on
            the self-attention projections. None follows ``spectral_norm``.
            Defaults to None.
        negative_slope (float): Slope of the LeakyReLU. Defaults to 0.1.
        kernel_size (int): Kernel size of the stride-2 convs (padding 1)
            and of the output conv (no padding). Defaults to 4.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 condition_on_image: bool = True,
                 image_channels: int = 3,
                 input_norm: Union[str, bool, None] = 'batch',
                 base_channels: int = 64,
                 num_blocks: int = 4,
                 attention_after: Sequence[int] = (3, 4),
                 spectral_norm: bool = True,
                 attention_spectral_norm: Optional[bool] = None,
                 negative_slope: float = 0.1,
                 kernel_size: int = 4,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or image_channels < 1 or base_channels < 1:
            raise ValueError(
                'in_channels, image_channels and base_channels must be '
                f'positive, got {in_channels}, {image_channels} and '
                f'{base_channels}')
        if num_blocks < 1:
            raise ValueError(f'num_blocks must be >= 1, got {num_blocks}')
        attention_after = tuple(int(i) for i in attention_after)
        bad = [i for i in attention_after if not 1 <= i <= num_blocks]
        if bad or len(set(attention_after)) != len(attention_after):
            raise ValueError(
                'attention_after must hold distinct 1-based block indices in '
                f'[1, {num_blocks}], got {attention_after}')
        if kernel_size < 1:
            raise ValueError(f'kernel_size must be >= 1, got {kernel_size}')

        self.in_channels = in_channels
        self.condition_on_image = condition_on_image
        self.image_channels = image_channels
        self.num_blocks = num_blocks
        self.attention_after = attention_after
        self.kernel_size = kernel_size
        # Smallest size a k, s=2, p=1 conv maps to >= 1 output pixel:
        # floor((s + 2 - k) / 2) + 1 >= 1  <=>  s >= k - 2.
        self._min_block_size = max(kernel_size - 2, 1)

        channels = in_channels + (image_channels if condition_on_image else 0)
        self.input_bn = _input_norm(input_norm, channels)
        if attention_spectral_norm is None:
            attention_spectral_norm = spectral_norm

        act_cfg = dict(type='LeakyReLU', negative_slope=negative_slope)
        self.blocks = nn.ModuleList()
        # Keyed by the 1-based block index they follow (ModuleDict keys must
        # be strings); missing keys mean no attention after that block.
        self.attentions = nn.ModuleDict()
        for i in range(num_blocks):
            out_channels = base_channels * 2**i
            self.blocks.append(
                ConvModule(
                    channels,
                    out_channels,
                    kernel_size=kernel_size,
                    stride=2,
                    padding=1,
                    norm_cfg=None,
                    act_cfg=act_cfg,
                    with_spectral_norm=spectral_norm))
            if i + 1 in attention_after:
                self.attentions[str(i + 1)] = SAGANSelfAttention(
                    out_channels, spectral_norm=attention_spectral_norm)
            channels = out_channels
        self.final_conv = nn.Conv2d(channels, 1, kernel_size=kernel_size)

    def _check_inputs(self, score_map: Tensor,
                      image: Optional[Tensor]) -> None:
        """Raise a ValueError naming the mismatch for malformed inputs."""
        name = type(self).__name__
        if score_map.dim() != 4:
            raise ValueError(
                f'{name} expects a score map of shape (N, C, H, W), got '
                f'{tuple(score_map.shape)}; record a 4-D map for it (e.g. '
                "the output of 'decode_head.conv_seg').")
        if score_map.size(1) != self.in_channels:
            raise ValueError(
                f'{name} expects a score map with in_channels='
                f'{self.in_channels} channels, got {score_map.size(1)} '
                f'(shape {tuple(score_map.shape)}); set '
                f'model.discriminator.in_channels={score_map.size(1)}, the '
                'channels of the recorded maps (the class count of a score '
                'map, 1 for a depth map).')
        if not self.condition_on_image:
            return
        if image is None:
            raise ValueError(
                f'{name} was built with condition_on_image=True, so '
                'forward(score_map, image) needs the image; got image=None '
                '(build it with condition_on_image=False to score the map '
                'alone)')
        if image.dim() != 4:
            raise ValueError(f'{name} expects an image of shape '
                             f'(N, {self.image_channels}, H, W), got '
                             f'{tuple(image.shape)}; pass the batch of '
                             'input images.')
        if image.size(1) != self.image_channels:
            raise ValueError(
                f'{name} expects an image with image_channels='
                f'{self.image_channels} channels, got {image.size(1)} '
                f'(shape {tuple(image.shape)}); set '
                f'discriminator.image_channels={image.size(1)}.')
        if image.size(0) != score_map.size(0):
            raise ValueError(
                f'{name}: the image batch ({image.size(0)}) does not match '
                f'the score map batch ({score_map.size(0)}); pass one image '
                'per score map, in the same order.')

    @staticmethod
    def resize_image(image: Tensor, size: Sequence[int]) -> Tensor:
        """The conditioning image at a score map's size, as ``forward``
        uses it.

        Callers that score several maps of one size (the discriminator's
        real, fake and interpolated maps each step) resize once with this
        and pass the result; ``forward`` then resizes nothing.

        Args:
            image (Tensor): Images (N, C_img, H_img, W_img).
            size (Sequence[int]): The (H, W) of the score map.

        Returns:
            Tensor: A floating-point image of spatial size ``size``
            (bilinear, ``align_corners=False``); ``image`` itself when it
            already is one.
        """
        if not image.is_floating_point():
            image = image.float()
        if tuple(image.shape[-2:]) == tuple(size):
            return image
        return F.interpolate(
            image, size=tuple(size), mode='bilinear', align_corners=False)

    def forward(self,
                score_map: Tensor,
                image: Optional[Tensor] = None) -> Tensor:
        """Score a batch of score maps, conditioned on their images.

        Args:
            score_map (Tensor): Score map (logits) of shape (N, C, H, W),
                ``C == in_channels``; any ``H, W >= 1``.
            image (Tensor, optional): The images of shape
                (N, image_channels, H_img, W_img), at any resolution; they
                are bilinearly resized to (H, W). Required when
                ``condition_on_image`` is True, ignored otherwise.

        Returns:
            Tensor: One score per image, of shape (N,).
        """
        self._check_inputs(score_map, image)
        x = score_map
        if self.condition_on_image:
            image = self.resize_image(image, x.shape[-2:])
            x = torch.cat([x, image.to(x.dtype)], dim=1)
        if self.input_bn is not None:
            x = self.input_bn(x)
        for idx, block in enumerate(self.blocks, start=1):
            x = block(_replicate_pad_to(x, self._min_block_size))
            if str(idx) in self.attentions:
                x = self.attentions[str(idx)](x)
        x = self.final_conv(_replicate_pad_to(x, self.kernel_size))
        # Global average pool of the (N, 1, h, w) embedding to one score.
        return x.mean(dim=(1, 2, 3))

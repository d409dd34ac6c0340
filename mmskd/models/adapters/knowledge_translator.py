# Copyright (c) mmskd contributors. All rights reserved.
"""The knowledge translator of knowledge adaptation: an auto-encoder of the
teacher's last features, trained in phase 1."""
from typing import Dict, Optional, Sequence, Union

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmskd.registry import MODELS
from .conv_adapter import conv_bn_relu_stack
from .translator_checkpoint import decode_identity, encode_identity

# Appendix: three convolutions and three transposed convolutions; only the
# first convolution and the last transposed convolution have stride 2.
NUM_LAYERS = 3


def translator_encoder(channels: int,
                       norm_cfg: Optional[Dict] = None) -> nn.Sequential:
    """The encoder E: 3x3 conv-BN-ReLU x 3, the first with stride 2.

    Phase 1 trains it inside :class:`KnowledgeTranslator`; phase 2 rebuilds
    the same layers (same parameter names) in ``TranslatorEncoder``.

    Args:
        channels (int): The teacher's last-feature channels (every layer's).
        norm_cfg (dict, optional): The norm layer. Defaults to BN.

    Returns:
        nn.Sequential: Maps (N, C, H, W) to (N, C, ceil(H/2), ceil(W/2)).
    """
    return conv_bn_relu_stack(
        channels, channels, NUM_LAYERS, first_stride=2, norm_cfg=norm_cfg)


class TransposedConvBlock(nn.Module):
    """A 3x3 transposed convolution (padding 1), BN and ReLU.

    Args:
        channels (int): Input and output channels.
        stride (int): 1 keeps the size, 2 doubles it.
        norm_cfg (dict): The norm layer.
    """

    def __init__(self, channels: int, stride: int, norm_cfg: Dict) -> None:
        super().__init__()
        # No bias: the norm layer right after it has its own.
        self.deconv = nn.ConvTranspose2d(
            channels,
            channels,
            3,
            stride=stride,
            padding=1,
            output_padding=stride - 1,
            bias=False)
        self.norm = build_norm_layer(norm_cfg, channels)[1]
        self.activate = nn.ReLU(inplace=True)

    def forward(self,
                x: Tensor,
                output_size: Optional[Sequence[int]] = None) -> Tensor:
        """Apply the block.

        Args:
            x (Tensor): Shape (N, C, h, w).
            output_size (Sequence[int], optional): The (H, W) to produce.
                A stride-2 layer maps h to 2h - 1 or 2h; this picks the one
                equal to the size of the map that was encoded, odd or even.

        Returns:
            Tensor: Shape (N, C, H, W).
        """
        return self.activate(self.norm(self.deconv(x, output_size)))


@MODELS.register_module()
class KnowledgeTranslator(BaseModule):
    """Auto-encoder that re-represents a teacher's last features (phase 1).

    `Knowledge Adaptation for Efficient Semantic Segmentation
    <https://arxiv.org/abs/1903.04688>`_ (He et al., CVPR 2019), Sec. 3.1
    and appendix. All six layers are 3x3 with padding 1, BN and ReLU and
    keep the teacher's channel count C. The stride-2 first layer halves the
    size, so the code E(φ_t) of an output-stride-8 teacher lies on the
    output-stride-16 grid of the student it is matched with in phase 2.

    The training loss, Eq. (1), is

    .. math::
        L_{ae} = \\frac{1}{NCHW} \\|φ_t - D(E(φ_t))\\|_2^2
            + α \\frac{1}{N} \\sum_n \\|E(φ_t)_n\\|_1

    The reconstruction is a mean over elements (torchdistill's MSE), the
    sparsity term the L1 norm of each sample's code (a sum over its
    elements), averaged over the batch so that the balance of the two terms
    does not change with the batch size. α = 1e-7 is the paper's value
    (lost from its text; the reading note and torchdistill give it). A code
    has 5·10^5 to 10^6 elements per sample (C = 512 on the 32x32 to 32x64
    grid of a 512x512 to 512x1024 crop), so α·‖E‖₁ is 0.05 to 0.1 per unit
    of mean |E|: a real pull towards sparse codes, which an element-wise
    mean would shrink by another factor of 10^6.

    ``teacher_identity`` is saved with the weights (as the module's extra
    state, ``translator._extra_state`` in an algorithm's state dict), so
    that phase 2 can refuse a translator trained on another teacher.

    Args:
        channels (int): The teacher's last-feature channels.
        sparsity_weight (float): α. Defaults to 1e-7.
        norm_cfg (dict, optional): The norm layer. Defaults to BN.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 channels: int,
                 sparsity_weight: float = 1e-7,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        norm_cfg = norm_cfg or dict(type='BN')
        self.channels = channels
        self.sparsity_weight = float(sparsity_weight)
        self.encoder = translator_encoder(channels, norm_cfg)
        strides = [1] * (NUM_LAYERS - 1) + [2]
        self.decoder = nn.ModuleList(
            TransposedConvBlock(channels, stride, norm_cfg)
            for stride in strides)
        self.teacher_identity: Dict = {}

    def forward(self, feats: Tensor) -> Dict[str, Tensor]:
        """Encode and decode a batch of teacher features.

        Args:
            feats (Tensor): φ_t, shape (N, C, H, W).

        Returns:
            dict: ``latent`` E(φ_t), (N, C, ceil(H/2), ceil(W/2)), and
            ``reconstruction`` D(E(φ_t)), (N, C, H, W).
        """
        latent = self.encoder(feats)
        out = latent
        for block in self.decoder[:-1]:
            out = block(out)
        out = self.decoder[-1](out, output_size=feats.shape[-2:])
        return dict(latent=latent, reconstruction=out)

    def loss(self, feats: Tensor) -> Dict[str, Tensor]:
        """The two terms of L_ae on a batch of teacher features.

        Args:
            feats (Tensor): φ_t, shape (N, C, H, W); detached here, the
                teacher is not trained.

        Returns:
            dict: ``loss_rec`` (mean squared error) and ``loss_sparsity``
            (α times the per-sample L1 norm of the code, batch mean).
        """
        feats = feats.detach()
        if feats.shape[1] != self.channels:
            raise ValueError(
                f'The translator has {self.channels} channels, but the '
                f'recorded teacher feature has {feats.shape[1]} (shape '
                f'{tuple(feats.shape)}); set translator.channels to it or '
                'leave it out to read it off the recorded module.')
        outputs = self(feats)
        code_l1 = outputs['latent'].abs().flatten(1).sum(dim=1)
        return dict(
            loss_rec=F.mse_loss(outputs['reconstruction'], feats),
            loss_sparsity=self.sparsity_weight * code_l1.mean())

    def get_extra_state(self) -> Tensor:
        """What is saved beside the weights: the teacher it was trained on.

        Returns:
            Tensor: ``teacher_identity`` encoded by ``encode_identity``
            (a tensor, as distributed training broadcasts every state
            value).
        """
        return encode_identity(self.teacher_identity)

    def set_extra_state(self, state: Union[Tensor, Dict]) -> None:
        """Restore ``teacher_identity`` from a checkpoint.

        Args:
            state (Tensor | dict): What :meth:`get_extra_state` saved (a
                dict in checkpoints written before the tensor form).
        """
        self.teacher_identity = decode_identity(state)

# Copyright (c) mmskd contributors. All rights reserved.
"""The frozen encoder of a phase-1 knowledge translator, as a teacher-side
connector of phase 2."""
import weakref
from typing import Dict, Optional

import torch
from mmrazor.models.architectures.connectors.base_connector import \
    BaseConnector

from mmskd.registry import MODELS
from .knowledge_translator import translator_encoder


@MODELS.register_module()
class TranslatorEncoder(BaseConnector):
    """E of knowledge adaptation: turns the teacher's feature into its code.

    It maps a recorded teacher feature φ_t to E(φ_t), which both phase-2
    losses compare with adapted student features. It is always frozen: no
    parameter requires grad, it stays in eval mode (its BN uses the
    statistics of phase 1) and runs under ``no_grad``.

    ``KnowledgeAdaptationDistill`` fills in its widths and loads its
    weights from the phase-1 checkpoint; built any other way it holds
    untrained weights.

    Both losses read the same recorded tensor through this connector, so
    the code of the last input is kept and returned again for that same
    tensor instead of encoding it twice a step. The input is held by a weak
    reference, so the cache never keeps a teacher feature alive (only the
    last code, until the next call); a new step records a new tensor, which
    is encoded afresh.

    Args:
        in_channel (int): The teacher feature's channels.
        out_channel (int): The code's channels; the translator keeps the
            width, so it must equal ``in_channel``.
        norm_cfg (dict, optional): The norm layer, as in phase 1. Defaults
            to BN.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channel: int,
                 out_channel: int,
                 norm_cfg: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None) -> None:
        super().__init__(init_cfg)
        if out_channel != in_channel:
            raise ValueError(
                'The knowledge translator keeps the teacher\'s width, but '
                f'TranslatorEncoder got in_channel={in_channel} and '
                f'out_channel={out_channel}. Use it in a '
                "type='KnowledgeAdaptationDistill' model, which sets both "
                'from the phase-1 checkpoint.')
        self.encoder = translator_encoder(in_channel, norm_cfg)
        self.requires_grad_(False)
        self.eval()
        self._last = None

    def train(self, mode: bool = True) -> 'TranslatorEncoder':
        """Stay in eval mode whatever ``mode`` is.

        Args:
            mode (bool): Ignored.

        Returns:
            TranslatorEncoder: self.
        """
        return super().train(False)

    @torch.no_grad()
    def forward_train(self, feature: torch.Tensor) -> torch.Tensor:
        """Encode a teacher feature (or return the code of the same tensor).

        Args:
            feature (Tensor): φ_t, shape (N, C, H, W).

        Returns:
            Tensor: E(φ_t), shape (N, C, ceil(H/2), ceil(W/2)).
        """
        if self._last is not None and self._last[0]() is feature:
            return self._last[1]
        code = self.encoder(feature)
        self._last = (weakref.ref(feature), code)
        return code

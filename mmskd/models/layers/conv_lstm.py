# Copyright (c) mmskd contributors. All rights reserved.
"""A convolutional LSTM (Shi et al., NeurIPS 2015), one layer."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from torch import Tensor

from mmskd.registry import MODELS

State = Tuple[Tensor, Tensor]


@MODELS.register_module()
class ConvLSTM(BaseModule):
    """One ConvLSTM layer run over a sequence of maps.

    `Convolutional LSTM Network: A Machine Learning Approach for
    Precipitation Nowcasting <https://arxiv.org/abs/1506.04214>`_. At each
    step t, one convolution over the concatenated input x_t and hidden
    state h_{t-1} gives the four gates::

        [i, f, o, g] = W * [x_t, h_{t-1}] + b
        c_t = sigmoid(f) ⊙ c_{t-1} + sigmoid(i) ⊙ tanh(g)
        h_t = sigmoid(o) ⊙ tanh(c_t)

    with zero initial states. Shi et al. also add peephole terms
    (W_c ⊙ c) to the gates; they are left out, as in the ConvLSTM of the
    thesis's official code (ch. 5's multi-frame distillation), so the cell
    has no parameter tied to the map size and runs on maps of any size.
    The convolution is padded to keep the map size.

    Args:
        in_channels (int): Channels of each input map.
        hidden_channels (int): Channels of the hidden and cell states.
        kernel_size (int): Odd kernel size of the gate convolution.
            Defaults to 3.
        bias (bool): Whether the gate convolution has a bias. Defaults to
            True.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to None (PyTorch's default convolution init).
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int,
                 kernel_size: int = 3,
                 bias: bool = True,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError('in_channels and hidden_channels must be '
                             f'positive, got {in_channels} and '
                             f'{hidden_channels}.')
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError('kernel_size must be a positive odd int (the '
                             'states keep the map size), but got '
                             f'{kernel_size!r}.')
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.gates = nn.Conv2d(
            in_channels + hidden_channels,
            4 * hidden_channels,
            kernel_size,
            padding=kernel_size // 2,
            bias=bias)

    def cell(self, x: Tensor, state: State) -> State:
        """One step of the recurrence.

        Args:
            x (Tensor): The input map of shape (N, in_channels, H, W).
            state (Tuple[Tensor, Tensor]): (h_{t-1}, c_{t-1}), each of shape
                (N, hidden_channels, H, W).

        Returns:
            Tuple[Tensor, Tensor]: (h_t, c_t).
        """
        hidden, cell = state
        gates = self.gates(torch.cat([x, hidden], dim=1))
        in_gate, forget_gate, out_gate, candidate = gates.chunk(4, dim=1)
        cell = torch.sigmoid(forget_gate) * cell + torch.sigmoid(
            in_gate) * torch.tanh(candidate)
        hidden = torch.sigmoid(out_gate) * torch.tanh(cell)
        return hidden, cell

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[List[Tensor], State]:
        """Run the layer over a sequence, from zero states.

        Args:
            inputs (Sequence[Tensor]): T >= 1 maps in temporal order, each of
                shape (N, in_channels, H, W); a (T, N, C, H, W) tensor works
                too.

        Returns:
            Tuple[List[Tensor], Tuple[Tensor, Tensor]]: The hidden state of
            every step (T maps of shape (N, hidden_channels, H, W)) and the
            last step's (h_T, c_T).

        Raises:
            ValueError: For an empty sequence, or maps whose shape differs
                from the first's or whose channels are not ``in_channels``.
        """
        if len(inputs) == 0:
            raise ValueError('ConvLSTM needs a sequence of at least one map.')
        first = inputs[0]
        if first.dim() != 4 or first.shape[1] != self.in_channels:
            raise ValueError(
                f'ConvLSTM expects maps of shape (N, {self.in_channels}, H, '
                f'W), but the first map has shape {tuple(first.shape)}.')
        num, _, height, width = first.shape
        zeros = first.new_zeros(num, self.hidden_channels, height, width)
        state = (zeros, zeros)
        hiddens = []
        for step, x in enumerate(inputs):
            if x.shape != first.shape:
                raise ValueError(
                    f'ConvLSTM: map {step} has shape {tuple(x.shape)}, but '
                    f'the first map has shape {tuple(first.shape)}.')
            state = self.cell(x, state)
            hiddens.append(state[0])
        return hiddens, state

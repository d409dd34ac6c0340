# Copyright (c) mmskd contributors. All rights reserved.
"""A hand-written holistic critic and WGAN-GP penalty, to test mmskd's.

Nothing here calls mmskd's forward code: the critic's score is recomputed
from its weights with plain torch ops (input BatchNorm from batch
statistics, stride-2 convolutions, LeakyReLU, SAGAN attention, output
convolution, global average pool), and the penalty is written from its
formula. The weights are set by the tests (:func:`fixed_weights`) and copied
into a :class:`~mmskd.models.HolisticDiscriminator` built with
``spectral_norm=False`` (:func:`load_weights`), so that both compute the
same function if the module is right.

Test helper; tests import it as ``holistic_reference``.
"""
from typing import Dict, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

Weights = Dict[str, Tensor]
SLOPE = 0.1  # the critic's LeakyReLU slope
BN_EPS = 1e-5  # nn.BatchNorm2d's default


def fixed_weights(in_channels: int,
                  base_channels: int,
                  num_blocks: int,
                  attention_after: Sequence[int],
                  input_norm: bool,
                  seed: int = 0,
                  scale: float = 0.1) -> Weights:
    """Deterministic, non-trivial weights for a tiny critic.

    ``scale`` (the spread of the weights) 0.1 keeps the critic's gradient
    norm near 1, where the gradient penalty is a moderate term of the
    critic's step; at 0.3 the penalty is in the thousands and the first
    steps of the game are spent on it alone (on the game tests' maps).

    Keys: ``bn.weight``/``bn.bias`` (input norm), ``block{i}.weight``/
    ``.bias`` (k4 s2 p1 convs), ``att{i}.{query,key,value}.weight``/
    ``.bias`` (1x1 projections, stored as (out, in)) and ``att{i}.gamma``
    (non-zero, so the attention is not the identity), ``final.weight``/
    ``.bias``.
    """
    gen = torch.Generator().manual_seed(seed)

    def draw(*shape: int) -> Tensor:
        return torch.randn(*shape, generator=gen) * scale

    weights: Weights = {}
    channels = in_channels
    if input_norm:
        weights['bn.weight'] = 1 + draw(channels)
        weights['bn.bias'] = draw(channels)
    for i in range(1, num_blocks + 1):
        out = base_channels * 2**(i - 1)
        weights[f'block{i}.weight'] = draw(out, channels, 4, 4)
        weights[f'block{i}.bias'] = draw(out)
        if i in attention_after:
            key = max(out // 8, 1)
            for name, rows in (('query', key), ('key', key), ('value', out)):
                weights[f'att{i}.{name}.weight'] = draw(rows, out)
                weights[f'att{i}.{name}.bias'] = draw(rows)
            weights[f'att{i}.gamma'] = torch.tensor([0.7])
        channels = out
    weights['final.weight'] = draw(1, channels, 4, 4)
    weights['final.bias'] = draw(1)
    return weights


def load_weights(critic: nn.Module, weights: Weights) -> None:
    """Copy ``weights`` into a HolisticDiscriminator, every parameter.

    Raises:
        AssertionError: When a parameter of ``critic`` is left unset (its
            layout is not the one this reference computes).
    """
    names = {
        'input_bn.weight': 'bn.weight',
        'input_bn.bias': 'bn.bias',
        'final_conv.weight': 'final.weight',
        'final_conv.bias': 'final.bias'
    }
    for i in range(1, len(critic.blocks) + 1):
        for kind in ('weight', 'bias'):
            names[f'blocks.{i - 1}.conv.{kind}'] = f'block{i}.{kind}'
            for proj in ('query', 'key', 'value'):
                names[f'attentions.{i}.{proj}.conv.{kind}'] = \
                    f'att{i}.{proj}.{kind}'
        names[f'attentions.{i}.gamma'] = f'att{i}.gamma'
    params = dict(critic.named_parameters())
    assert {names[n] for n in params} == set(weights), sorted(params)
    with torch.no_grad():
        for name, param in params.items():
            value = weights[names[name]]
            param.copy_(value.view_as(param))


def _attention(x: Tensor, weights: Weights, i: int) -> Tensor:
    """SAGAN attention: ``gamma * sum_j softmax_j(q_i . k_j) v_j + x``."""
    n, c, h, w = x.shape
    flat = x.reshape(n, c, h * w)

    def project(name: str) -> Tensor:
        weight = weights[f'att{i}.{name}.weight']
        bias = weights[f'att{i}.{name}.bias']
        return torch.einsum('oc,ncl->nol', weight, flat) + bias[:, None]

    query, key, value = project('query'), project('key'), project('value')
    energy = torch.einsum('nci,ncj->nij', query, key)
    energy = energy - energy.amax(dim=-1, keepdim=True)
    attn = energy.exp() / energy.exp().sum(dim=-1, keepdim=True)
    out = torch.einsum('ncj,nij->nci', value, attn)
    return weights[f'att{i}.gamma'] * out.reshape(n, c, h, w) + x


def reference_score(weights: Weights,
                    score_map: Tensor,
                    image: Optional[Tensor] = None) -> Tensor:
    """The critic's score of each sample, computed by hand.

    Args:
        weights (dict): From :func:`fixed_weights`.
        score_map (Tensor): (N, C, H, W) maps, large enough that the module
            pads nothing (sides >= 4 * 2 ** num_blocks).
        image (Tensor, optional): (N, 3, H', W') images for a conditioned
            critic; resized bilinearly to (H, W), ``align_corners=False``.

    Returns:
        Tensor: (N,) scores, the mean of the output convolution's map.
    """
    x = score_map
    if image is not None:
        image = F.interpolate(
            image.float(),
            size=x.shape[-2:],
            mode='bilinear',
            align_corners=False)
        x = torch.cat([x, image], dim=1)
    if 'bn.weight' in weights:  # train mode: this batch's own statistics
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        var = ((x - mean)**2).mean(dim=(0, 2, 3), keepdim=True)
        x = (x - mean) / torch.sqrt(var + BN_EPS)
        x = x * weights['bn.weight'].view(1, -1, 1, 1) + \
            weights['bn.bias'].view(1, -1, 1, 1)
    i = 1
    while f'block{i}.weight' in weights:
        x = F.conv2d(
            x,
            weights[f'block{i}.weight'],
            weights[f'block{i}.bias'],
            stride=2,
            padding=1)
        x = torch.where(x >= 0, x, SLOPE * x)
        if f'att{i}.gamma' in weights:
            x = _attention(x, weights, i)
        i += 1
    x = F.conv2d(x, weights['final.weight'], weights['final.bias'])
    return x.mean(dim=(1, 2, 3))


def reference_penalty(weights: Weights,
                      real: Tensor,
                      fake: Tensor,
                      eps: Tensor,
                      image: Optional[Tensor] = None) -> Tensor:
    """WGAN-GP from its formula: ``x = eps real + (1 - eps) fake`` per
    sample, ``mean_n (||d sum_m D(x)_m / d x_n||_2 - 1) ** 2``."""
    eps = eps.reshape(-1, 1, 1, 1)
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    grad, = torch.autograd.grad(
        reference_score(weights, x_hat, image).sum(), x_hat)
    norms = grad.pow(2).sum(dim=(1, 2, 3)).sqrt()
    return ((norms - 1)**2).mean()

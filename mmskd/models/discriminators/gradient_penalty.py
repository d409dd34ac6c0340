# Copyright (c) mmskd contributors. All rights reserved.
"""The WGAN-GP gradient penalty and the critic's terms of one step."""
from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import autocast_disabled

#: A critic called as ``critic(score_map, image)`` returning (N,) scores,
#: e.g. :class:`~mmskd.models.discriminators.HolisticDiscriminator`.
Critic = Callable[[Tensor, Optional[Tensor]], Tensor]


def _check_pair(real: Tensor, fake: Tensor) -> None:
    """Raise a ValueError unless real/fake are same-shaped batches."""
    if real.shape != fake.shape:
        raise ValueError('real and fake must have the same shape, got '
                         f'{tuple(real.shape)} and {tuple(fake.shape)}')
    if real.dim() < 1 or real.size(0) == 0:
        raise ValueError('real and fake need a non-empty batch dim, got '
                         f'shape {tuple(real.shape)}')


def _interpolation_weights(eps: Union[None, float, Tensor],
                           real: Tensor) -> Tensor:
    """Per-sample float32 weights of shape (N, 1, ..., 1) for ``real``."""
    n = real.size(0)
    shape = (n, ) + (1, ) * (real.dim() - 1)
    if eps is None:
        return torch.rand(shape, device=real.device, dtype=torch.float32)
    eps = torch.as_tensor(eps, dtype=torch.float32, device=real.device)
    if eps.numel() == 1:
        return eps.reshape(()).expand(shape)
    if eps.numel() != n:
        raise ValueError(f'eps must be a scalar or hold one value per sample '
                         f'({n}), got shape {tuple(eps.shape)}')
    return eps.reshape(shape)


def _detached_float(
        *tensors: Optional[Tensor]) -> Tuple[Optional[Tensor], ...]:
    return tuple(None if t is None else t.detach().float() for t in tensors)


def _interpolate(real: Tensor, fake: Tensor,
                 eps: Union[None, float, Tensor]) -> Tensor:
    """``x_hat = eps * real + (1 - eps) * fake``, a leaf that needs grad."""
    weights = _interpolation_weights(eps, real)
    return (weights * real + (1.0 - weights) * fake).requires_grad_(True)


def _penalty(scores: Tensor, x_hat: Tensor) -> Tensor:
    """``mean_n (||d scores_n / d x_hat_n||_2 - 1)^2``, differentiable."""
    grad, = torch.autograd.grad(
        outputs=scores.float().sum(), inputs=x_hat, create_graph=True)
    grad_norm = torch.linalg.vector_norm(grad.flatten(1), ord=2, dim=1)
    return ((grad_norm - 1.0)**2).mean()


def normalises_over_batch(critic: Critic) -> bool:
    """Whether one sample's score depends on the other samples of its batch.

    True for a module with a BatchNorm layer in training mode (the input BN
    of :class:`HolisticDiscriminator`), and for any critic that is not an
    ``nn.Module`` (it cannot be inspected).

    Args:
        critic (Callable): The critic.

    Returns:
        bool: Whether batches must be scored separately.
    """
    if not isinstance(critic, nn.Module):
        return True
    return any(
        isinstance(module, _BatchNorm) and module.training
        for module in critic.modules())


def gradient_penalty(critic: Critic,
                     real: Tensor,
                     fake: Tensor,
                     image: Optional[Tensor] = None,
                     eps: Union[None, float, Tensor] = None) -> Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al., *Improved Training of
    Wasserstein GANs*, 2017), unweighted.

    With ``x_hat = eps * real + (1 - eps) * fake`` and ``eps ~ U(0, 1)``
    drawn once per sample::

        gp = mean_n ( || d critic(x_hat)_n / d x_hat_n ||_2 - 1 ) ** 2

    where the norm runs over all non-batch dims of sample ``n``. Because the
    critic scores each sample separately (up to BatchNorm, see below), the
    gradient of ``critic(x_hat).sum()`` w.r.t. ``x_hat`` holds each sample's
    own gradient, so one ``autograd.grad`` call gives all N norms.

    ``real`` and ``fake`` are detached: the penalty trains the critic only.
    The gradient is taken with ``create_graph=True``, so the returned value
    back-propagates into the critic's parameters (a double backward).

    It is computed in float32 with autocast disabled, whatever the caller's
    context: the double backward in fp16 can overflow, bf16 keeps too few
    bits for a gradient norm compared with 1, and the penalty's share of the
    step is small, so float32 costs little.

    Conditional critics: the interpolate is taken over the score maps only;
    real and fake of one sample share the same image, which is passed
    unchanged as the condition. The penalty therefore constrains the critic's
    gradient w.r.t. the score map, the variable the student controls.

    In train mode the critic's forward on ``x_hat`` updates its BatchNorm
    running statistics and spectral-norm power iterations like any other
    forward (as in the official SKD code); normalisation of ``x_hat`` uses
    the batch statistics of the interpolates.

    Args:
        critic (Callable): The critic, called as ``critic(x_hat, image)`` and
            returning one score per sample, shape (N,).
        real (Tensor): Real samples (teacher score maps), (N, C, H, W).
        fake (Tensor): Fake samples (student score maps), same shape.
        image (Tensor, optional): Conditioning images (N, 3, H_img, W_img),
            or None for an unconditional critic. Defaults to None.
        eps (float | Tensor, optional): Interpolation weights: a scalar or
            one value per sample (any shape with N elements, e.g. (N,) or
            (N, 1, 1, 1)). None draws ``U(0, 1)`` per sample. Meant for
            tests. Defaults to None.

    Returns:
        Tensor: The scalar float32 penalty (not multiplied by any weight).
    """
    _check_pair(real, fake)
    with autocast_disabled(real.device):
        real, fake, image = _detached_float(real, fake, image)
        x_hat = _interpolate(real, fake, eps)
        return _penalty(critic(x_hat, image), x_hat)


def wasserstein_critic_terms(critic: Critic,
                             real: Tensor,
                             fake: Tensor,
                             image: Optional[Tensor] = None,
                             eps: Union[None, float, Tensor] = None
                             ) -> Tuple[Tensor, Tensor, Tensor]:
    """The critic step's D(real), D(fake) and WGAN-GP penalty.

    A critic that normalises over the batch (BatchNorm in training mode,
    see :func:`normalises_over_batch`) scores the teacher maps, the student
    maps and the interpolates in three forwards, as the official SKD code
    does: scored together, the BN would normalise every map with statistics
    of all three, blur the scale differences between teacher and student
    maps, and give the critic a different function from the one that scores
    the student alone in the student's step. Any other critic (no BN, or in
    eval mode) scores the three batches in one forward, which saves two
    forwards of a launch-bound network and gives the same scores, up to
    spectral normalisation in train mode: one power iteration per step
    instead of three.

    The penalty is :func:`gradient_penalty`'s. Everything runs in float32
    with autocast disabled; ``real``, ``fake`` and ``image`` are detached, as
    this trains the critic only.

    Args:
        critic (Callable): The critic, ``critic(maps, image) -> (N,)``.
        real (Tensor): Teacher score maps, (N, C, H, W).
        fake (Tensor): Student score maps, same shape.
        image (Tensor, optional): Conditioning images. Defaults to None.
        eps (float | Tensor, optional): Interpolation weights, for tests.
            Defaults to None (``U(0, 1)`` per sample).

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``score_real`` (N,), ``score_fake``
        (N,) and the unweighted scalar penalty.
    """
    _check_pair(real, fake)
    with autocast_disabled(real.device):
        real, fake, image = _detached_float(real, fake, image)
        x_hat = _interpolate(real, fake, eps)
        if normalises_over_batch(critic):
            score_real, score_fake, score_hat = [
                critic(maps, image).float() for maps in (real, fake, x_hat)
            ]
        else:
            images = None if image is None else image.repeat(3, 1, 1, 1)
            scores = critic(torch.cat([real, fake, x_hat]), images).float()
            score_real, score_fake, score_hat = scores.split(real.size(0))
        return score_real, score_fake, _penalty(score_hat, x_hat)

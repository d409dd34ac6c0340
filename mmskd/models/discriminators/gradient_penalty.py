# Copyright (c) mmskd contributors. All rights reserved.
"""WGAN-GP gradient penalty and a batched real/fake critic forward."""
from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor

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
    with torch.autocast(device_type=real.device.type, enabled=False):
        real = real.detach().float()
        fake = fake.detach().float()
        weights = _interpolation_weights(eps, real)
        x_hat = (weights * real + (1.0 - weights) * fake).requires_grad_(True)
        if image is not None:
            image = image.detach().float()
        scores = critic(x_hat, image)
        grad, = torch.autograd.grad(
            outputs=scores.float().sum(), inputs=x_hat, create_graph=True)
        grad_norm = torch.linalg.vector_norm(grad.flatten(1), ord=2, dim=1)
        return ((grad_norm - 1.0)**2).mean()


def critic_scores(critic: Critic,
                  real: Tensor,
                  fake: Tensor,
                  image: Optional[Tensor] = None) -> Tuple[Tensor, Tensor]:
    """Score real and fake samples with ONE batched critic forward.

    ``real`` and ``fake`` are concatenated along the batch dim (and the image
    repeated), scored together, and the scores split back. The critic step
    is bound by kernel launches, not arithmetic (see the project's device
    notes: one batched forward was measurably faster than two), so this
    halves the launches of the critic's real/fake forward.

    Note on BatchNorm: in train mode the critic's BN layers (the input BN of
    :class:`HolisticDiscriminator`) then normalise with statistics of the
    joint real+fake batch and update their running statistics once from it,
    whereas two separate forwards normalise each half by its own statistics
    (and update the running stats twice, fake last). The joint statistics
    keep scale differences between teacher and student maps visible to the
    critic, which per-half normalisation would partly remove. In eval mode
    (running statistics, no spectral-norm power iteration) the result equals
    two separate forwards. In train mode, a spectrally normalised critic
    also does one power iteration instead of two.

    Nothing is detached here: detach ``fake`` for the critic step; for the
    student step, score the fake alone (``critic(fake, image)``).

    Args:
        critic (Callable): The critic, called as ``critic(maps, image)`` and
            returning one score per sample, shape (N,).
        real (Tensor): Real samples (teacher score maps), (N, C, H, W).
        fake (Tensor): Fake samples (student score maps), same shape.
        image (Tensor, optional): Conditioning images shared by the real and
            fake sample of each index, (N, 3, H_img, W_img). Defaults to None.

    Returns:
        tuple[Tensor, Tensor]: ``(score_real, score_fake)``, each of
        shape (N,).
    """
    _check_pair(real, fake)
    n = real.size(0)
    maps = torch.cat([real, fake], dim=0)
    if image is not None:
        image = torch.cat([image, image], dim=0)
    scores = critic(maps, image)
    return scores[:n], scores[n:]


def wasserstein_critic_terms(critic: Critic,
                             real: Tensor,
                             fake: Tensor,
                             image: Optional[Tensor] = None,
                             eps: Union[None, float, Tensor] = None
                             ) -> Tuple[Tensor, Tensor, Tensor]:
    """Scores of real, fake and the WGAN-GP penalty from ONE critic forward.

    The critic's step needs D(real), D(fake) and the penalty on random
    interpolates. Scoring the three batches together saves two forwards of a
    launch-bound network (see :func:`critic_scores`) and, under DDP, keeps
    the critic to a single forward per backward. The penalty is the one of
    :func:`gradient_penalty` (same interpolation and norm); BatchNorm layers
    in train mode see statistics of the joint batch of 3N maps.

    Everything runs in float32 with autocast disabled; ``real``, ``fake``
    and ``image`` are detached, as this trains the critic only.

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
    n = real.size(0)
    with torch.autocast(device_type=real.device.type, enabled=False):
        real = real.detach().float()
        fake = fake.detach().float()
        weights = _interpolation_weights(eps, real)
        x_hat = (weights * real + (1.0 - weights) * fake).requires_grad_(True)
        if image is not None:
            image = image.detach().float().repeat(3, 1, 1, 1)
        scores = critic(torch.cat([real, fake, x_hat]), image).float()
        grad, = torch.autograd.grad(
            outputs=scores[2 * n:].sum(), inputs=x_hat, create_graph=True)
        grad_norm = torch.linalg.vector_norm(grad.flatten(1), ord=2, dim=1)
        penalty = ((grad_norm - 1.0)**2).mean()
    return scores[:n], scores[n:2 * n], penalty

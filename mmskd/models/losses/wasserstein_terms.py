# Copyright (c) mmskd contributors. All rights reserved.
"""The discriminator's WGAN-GP objective: its scores and gradient penalty.

These functions compute a loss of any discriminator callable, so they live
with the losses; ``models/discriminators/`` holds only the networks. The
student's side of the game (``-λ2 · D(Q_s)``) needs no helper of its own
and is written in :class:`~mmskd.models.HolisticDistill`.
"""
from typing import Callable, Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..utils import autocast_disabled
from .utils import resize_to

#: A discriminator called as ``discriminator(score_map, image)`` returning
#: (N,) scores, e.g. :class:`~mmskd.models.HolisticDiscriminator`.
Discriminator = Callable[[Tensor, Optional[Tensor]], Tensor]


def _check_pair(real: Tensor, fake: Tensor) -> None:
    """Raise a ValueError unless real/fake are same-shaped batches."""
    if real.shape != fake.shape:
        raise ValueError(
            'real and fake must have the same shape, got '
            f'{tuple(real.shape)} and {tuple(fake.shape)}: score teacher and '
            'student maps of the same images (wasserstein_terms takes maps '
            'of two sizes, with their images as image and fake_image).')
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


def _interpolate(real: Tensor, fake: Tensor, eps: Union[None, float,
                                                        Tensor]) -> Tensor:
    """``x_hat = eps * real + (1 - eps) * fake``, a leaf that needs grad."""
    weights = _interpolation_weights(eps, real)
    return (weights * real + (1.0 - weights) * fake).requires_grad_(True)


def _penalty(scores: Tensor, x_hat: Tensor) -> Tensor:
    """``mean_n (||d scores_n / d x_hat_n||_2 - 1)^2``, differentiable."""
    grad, = torch.autograd.grad(
        outputs=scores.float().sum(), inputs=x_hat, create_graph=True)
    grad_norm = torch.linalg.vector_norm(grad.flatten(1), ord=2, dim=1)
    return ((grad_norm - 1.0)**2).mean()


def normalises_over_batch(discriminator: Discriminator) -> bool:
    """Whether one sample's score depends on the other samples of its batch.

    True for a module with a BatchNorm layer in training mode (the input BN
    of :class:`HolisticDiscriminator` with ``input_norm='batch'``), and for
    any discriminator that is not an ``nn.Module`` (it cannot be inspected).

    Args:
        discriminator (Callable): The discriminator.

    Returns:
        bool: Whether batches must be scored separately.
    """
    if not isinstance(discriminator, nn.Module):
        return True
    return any(
        isinstance(module, _BatchNorm) and module.training
        for module in discriminator.modules())


def gradient_penalty(discriminator: Discriminator,
                     real: Tensor,
                     fake: Tensor,
                     image: Optional[Tensor] = None,
                     eps: Union[None, float, Tensor] = None) -> Tensor:
    """WGAN-GP gradient penalty (Gulrajani et al., *Improved Training of
    Wasserstein GANs*, 2017), unweighted.

    With ``x_hat = eps * real + (1 - eps) * fake`` and ``eps ~ U(0, 1)``
    drawn once per sample::

        gp = mean_n ( || d D(x_hat)_n / d x_hat_n ||_2 - 1 ) ** 2

    where the norm runs over all non-batch dims of sample ``n``. Because the
    discriminator scores each sample separately (up to BatchNorm, see below),
    the gradient of ``D(x_hat).sum()`` w.r.t. ``x_hat`` holds each sample's
    own gradient, so one ``autograd.grad`` call gives all N norms.

    ``real`` and ``fake`` are detached: the penalty trains the discriminator
    only. The gradient is taken with ``create_graph=True``, so the returned
    value back-propagates into the discriminator's parameters (a double
    backward).

    It is computed in float32 with autocast disabled, whatever the caller's
    context: the double backward in fp16 can overflow, bf16 keeps too few
    bits for a gradient norm compared with 1, and the penalty's share of the
    step is small, so float32 costs little.

    Conditional discriminators: the interpolate is taken over the score maps
    only; real and fake of one sample share the same image, which is passed
    unchanged as the condition. The penalty therefore constrains the
    gradient w.r.t. the score map, the variable the student controls.

    In train mode the forward on ``x_hat`` updates BatchNorm running
    statistics and spectral-norm power iterations like any other forward
    (as in the official SKD code); a train-mode BatchNorm normalises
    ``x_hat`` with the batch statistics of the interpolates.

    Args:
        discriminator (Callable): Called as ``discriminator(x_hat, image)``
            and returning one score per sample, shape (N,).
        real (Tensor): Real samples (teacher score maps), (N, C, H, W).
        fake (Tensor): Fake samples (student score maps), same shape.
        image (Tensor, optional): Conditioning images (N, 3, H_img, W_img),
            or None for an unconditional discriminator. Defaults to None.
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
        return _penalty(discriminator(x_hat, image), x_hat)


def wasserstein_terms(
        discriminator: Discriminator,
        real: Tensor,
        fake: Tensor,
        image: Optional[Tensor] = None,
        eps: Union[None, float, Tensor] = None,
        fake_image: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
    """The discriminator step's D(real), D(fake) and WGAN-GP penalty.

    A discriminator that normalises over the batch (BatchNorm in training
    mode, see :func:`normalises_over_batch`) scores the teacher maps, the
    student maps and the interpolates in three forwards, as the official SKD
    code does, so that the student maps are scored by the same function
    here as in the student's step, where they are scored alone. Note what
    such a BatchNorm does: each forward normalises its batch with that
    batch's own per-channel mean and variance, so it *removes* per-channel
    affine differences between the teacher and the student batches (a
    student batch that is a positive per-channel affine map of the teacher
    batch gets exactly the teacher's scores). A discriminator that should
    see those differences normalises with running statistics instead
    (``HolisticDiscriminator(input_norm='running')``).

    Any other discriminator (no batch statistics, or in eval mode) scores
    the three batches in one forward, which saves two forwards of a
    launch-bound network and gives the same scores, up to spectral
    normalisation in train mode: one power iteration per step instead of
    three.

    The penalty is :func:`gradient_penalty`'s. Everything runs in float32
    with autocast disabled; ``real``, ``fake`` and ``image`` are detached, as
    this trains the discriminator only.

    A student at its own resolution gives fake maps of another size than
    the real ones (:class:`~mmskd.models.utils.InputScales`). Each map is
    then scored with the image at its own size (``fake_image``), in its own
    forward, and the penalty's interpolates are taken at the teacher's size,
    between the real maps and the fake maps bilinearly resized to it,
    conditioned on the teacher's image: the Lipschitz constraint holds where
    the discriminator scores the teacher, along the line to the student's
    map as mmseg would upsample it.

    Args:
        discriminator (Callable): ``discriminator(maps, image) -> (N,)``.
        real (Tensor): Teacher score maps, (N, C, H, W).
        fake (Tensor): Student score maps, same shape.
        image (Tensor, optional): Conditioning images. Defaults to None.
        eps (float | Tensor, optional): Interpolation weights, for tests.
            Defaults to None (``U(0, 1)`` per sample).
        fake_image (Tensor, optional): The fake maps' conditioning images,
            needed (with ``image``) when the fake maps have another spatial
            size than the real ones; ignored when their sizes agree.
            Defaults to None.

    Returns:
        tuple[Tensor, Tensor, Tensor]: ``score_real`` (N,), ``score_fake``
        (N,) and the unweighted scalar penalty.
    """
    if real.shape[:2] == fake.shape[:2] and real.shape != fake.shape:
        return _terms_at_two_sizes(discriminator, real, fake, image, eps,
                                   fake_image)
    _check_pair(real, fake)
    with autocast_disabled(real.device):
        real, fake, image = _detached_float(real, fake, image)
        x_hat = _interpolate(real, fake, eps)
        if normalises_over_batch(discriminator):
            score_real, score_fake, score_hat = [
                discriminator(maps, image).float()
                for maps in (real, fake, x_hat)
            ]
        else:
            images = None if image is None else image.repeat(3, 1, 1, 1)
            scores = discriminator(torch.cat([real, fake, x_hat]),
                                   images).float()
            score_real, score_fake, score_hat = scores.split(real.size(0))
        return score_real, score_fake, _penalty(score_hat, x_hat)


def _terms_at_two_sizes(
        discriminator: Discriminator, real: Tensor, fake: Tensor,
        image: Optional[Tensor], eps: Union[None, float, Tensor],
        fake_image: Optional[Tensor]) -> Tuple[Tensor, Tensor, Tensor]:
    """:func:`wasserstein_terms` of real and fake maps of two sizes."""
    if image is not None and fake_image is None:
        raise ValueError(
            f'The real maps are {tuple(real.shape[-2:])} and the fake maps '
            f'{tuple(fake.shape[-2:])}: a conditional discriminator needs '
            'the fake maps\' image at their size too (fake_image).')
    with autocast_disabled(real.device):
        real, fake, image, fake_image = _detached_float(
            real, fake, image, fake_image)
        x_hat = _interpolate(real, resize_to(fake, real.shape[-2:]), eps)
        score_real = discriminator(real, image).float()
        score_fake = discriminator(fake, fake_image).float()
        return score_real, score_fake, _penalty(
            discriminator(x_hat, image), x_hat)

# Copyright (c) mmskd contributors. All rights reserved.
"""The critic and its gradient penalty against hand-written references.

The references (``mmskd.testing.reference_score`` and
``reference_penalty``) recompute the critic from its weights with plain
torch ops and write the penalty from its formula; real and fake maps and
the interpolation weights are random, so an interpolate off the segment,
a pooling other than the mean or an image that does not reach the critic
changes the numbers.
"""
import pytest
import torch

from mmskd.models.discriminators import HolisticDiscriminator
from mmskd.models.losses import gradient_penalty, wasserstein_terms
from mmskd.testing import (fixed_weights, load_weights, reference_penalty,
                           reference_score)

CLASSES = 5
# Two blocks: 16x24 -> 8x12 -> 4x6, then the k4 output conv leaves 1x3, so
# the final pool has several values to average and nothing is padded.
SIZE = (16, 24)
# float32 throughout; the penalty sums squared gradients of ~1e3 elements.
TOL = dict(rtol=1e-4, atol=1e-5)


def tiny_critic(condition: bool, input_norm: bool = True, seed: int = 0):
    """A two-block critic with attention after both blocks, fixed weights
    and its reference weights."""
    critic = HolisticDiscriminator(
        CLASSES,
        condition_on_image=condition,
        input_norm='batch' if input_norm else None,
        base_channels=4,
        num_blocks=2,
        attention_after=(1, 2),
        spectral_norm=False)
    channels = CLASSES + (3 if condition else 0)
    weights = fixed_weights(channels, 4, 2, (1, 2), input_norm, seed)
    load_weights(critic, weights)
    return critic.train(), weights


def maps(n: int = 3, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    real = torch.randn(n, CLASSES, *SIZE, generator=gen) * 2 + 0.5
    fake = torch.randn(n, CLASSES, *SIZE, generator=gen)
    # Images at 4x the map size: the critic resizes them itself.
    image = torch.rand(n, 3, SIZE[0] * 4, SIZE[1] * 4, generator=gen)
    eps = torch.rand(n, generator=gen)
    return real, fake, image, eps


@pytest.mark.parametrize('input_norm', [True, False])
@pytest.mark.parametrize('condition', [True, False])
def test_forward_equals_the_hand_written_critic(condition, input_norm):
    critic, weights = tiny_critic(condition, input_norm)
    real, _, image, _ = maps()
    expected = reference_score(weights, real, image if condition else None)
    assert expected.std() > 1e-3  # the samples get different scores
    torch.testing.assert_close(critic(real, image), expected, **TOL)


def test_the_condition_changes_the_score_only_when_conditioned():
    real, _, image, _ = maps()
    other = torch.rand(image.shape, generator=torch.Generator().manual_seed(5))
    conditioned, _ = tiny_critic(condition=True)
    unconditioned, _ = tiny_critic(condition=False)
    assert not torch.allclose(
        conditioned(real, image), conditioned(real, other), atol=1e-4)
    torch.testing.assert_close(
        unconditioned(real, image), unconditioned(real, other))
    # Zeros are not an image: they score otherwise too.
    assert not torch.allclose(
        conditioned(real, image),
        conditioned(real, torch.zeros_like(image)),
        atol=1e-4)


@pytest.mark.parametrize('condition, input_norm', [(True, True), (False, True),
                                                   (True, False)])
def test_penalty_equals_the_formula_on_random_maps(condition, input_norm):
    """Random real and fake maps, random eps. With an input BatchNorm the
    critic step scores real, fake and interpolates in separate forwards
    (each batch's own statistics), without it in one: the same numbers."""
    critic, weights = tiny_critic(condition, input_norm)
    real, fake, image, eps = maps()
    image = image if condition else None
    expected = reference_penalty(weights, real, fake, eps, image)
    assert expected > 1e-3
    torch.testing.assert_close(
        gradient_penalty(critic, real, fake, image, eps=eps), expected, **TOL)
    score_real, score_fake, penalty = wasserstein_terms(
        critic, real, fake, image, eps=eps)
    torch.testing.assert_close(score_real,
                               reference_score(weights, real, image), **TOL)
    torch.testing.assert_close(score_fake,
                               reference_score(weights, fake, image), **TOL)
    torch.testing.assert_close(penalty, expected, **TOL)


class Recorder(torch.nn.Module):
    """Scores ``0.5 ||x||^2`` (gradient x) and keeps what it was given."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x, image=None):
        self.seen.append(x.detach().clone())
        return 0.5 * x.pow(2).flatten(1).sum(1)


def test_drawn_interpolates_lie_on_the_segment_between_real_and_fake():
    """With ``eps`` drawn inside: each interpolate is ``fake + e (real -
    fake)`` for one ``e`` in [0, 1] per sample, and the penalty is that of
    the square critic at that point, ``(||x_hat_n|| - 1) ** 2``."""
    real, fake, _, _ = maps(n=4)
    critic = Recorder()
    torch.manual_seed(3)
    penalty = gradient_penalty(critic, real, fake)
    x_hat, = critic.seen
    step = (real - fake).flatten(1)
    e = ((x_hat - fake).flatten(1) * step).sum(1) / step.pow(2).sum(1)
    assert torch.all((e >= 0) & (e <= 1)) and e.std() > 0
    on_segment = fake + e.view(-1, 1, 1, 1) * (real - fake)
    torch.testing.assert_close(x_hat, on_segment, **TOL)
    norms = x_hat.pow(2).sum(dim=(1, 2, 3)).sqrt()
    torch.testing.assert_close(penalty, ((norms - 1)**2).mean(), **TOL)

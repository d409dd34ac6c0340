# Copyright (c) mmskd contributors. All rights reserved.
import copy
import math

import pytest
import torch
import torch.nn as nn

from mmskd.models.discriminators import HolisticDiscriminator
from mmskd.models.losses import (gradient_penalty, normalises_over_batch,
                                 wasserstein_terms)

SHAPE = (2, 4, 3, 5)  # (N, C, H, W)


class LinearCritic(nn.Module):
    """critic(x)_n = sum(w * x_n): its gradient w.r.t. x_n is w everywhere."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(w)
        self.seen = []

    def forward(self, x, image=None):
        self.seen.append((x, image, torch.is_autocast_enabled('cpu')))
        return (self.w * x).flatten(1).sum(1)


class SquareCritic(nn.Module):
    """critic(x)_n = 0.5 * ||x_n||^2: its gradient w.r.t. x_n is x_n."""

    def forward(self, x, image=None):
        return 0.5 * x.pow(2).flatten(1).sum(1)


def _w_with_norm(norm):
    numel = math.prod(SHAPE[1:])
    return torch.full(SHAPE[1:], norm / math.sqrt(numel))


@pytest.mark.parametrize('norm,expected', [(1.0, 0.0), (3.0, 4.0),
                                           (0.5, 0.25)])
def test_linear_critic_known_value(norm, expected):
    torch.manual_seed(0)
    critic = LinearCritic(_w_with_norm(norm))
    real, fake = torch.randn(SHAPE), torch.randn(SHAPE)
    gp = gradient_penalty(critic, real, fake)
    assert gp.dtype == torch.float32 and gp.dim() == 0
    assert gp.item() == pytest.approx(expected, abs=1e-5)
    # Independent of eps for a linear critic.
    gp_fixed = gradient_penalty(critic, real, fake, eps=0.3)
    assert gp_fixed.item() == pytest.approx(expected, abs=1e-5)


def test_linear_critic_non_uniform_w():
    torch.manual_seed(0)
    w = torch.randn(SHAPE[1:])
    critic = LinearCritic(w)
    gp = gradient_penalty(critic, torch.randn(SHAPE), torch.randn(SHAPE))
    assert gp.item() == pytest.approx((w.norm().item() - 1)**2, rel=1e-5)


def test_eps_interpolation_per_sample():
    # real = r everywhere, fake = 0, so x_hat_n = eps_n * r and the square
    # critic's gradient norm is eps_n * r * sqrt(D).
    d = math.prod(SHAPE[1:])
    r = 0.25
    real, fake = torch.full(SHAPE, r), torch.zeros(SHAPE)
    eps = torch.tensor([0.2, 0.9])
    norms = eps * r * math.sqrt(d)
    expected = ((norms - 1)**2).mean().item()
    for e in (eps, eps.view(2, 1, 1, 1)):
        gp = gradient_penalty(SquareCritic(), real, fake, eps=e)
        assert gp.item() == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match='eps'):
        gradient_penalty(SquareCritic(), real, fake, eps=torch.rand(3))


def test_random_eps_lies_between_real_and_fake():
    critic = LinearCritic(_w_with_norm(1.0))
    real, fake = torch.zeros(SHAPE), torch.ones(SHAPE)
    gradient_penalty(critic, real, fake)
    x_hat = critic.seen[-1][0]
    assert x_hat.requires_grad
    # One eps per sample: each sample of x_hat = 1 - eps_n is constant.
    per_sample = x_hat.detach().flatten(1)
    assert torch.all(per_sample == per_sample[:, :1])
    assert torch.all((per_sample >= 0) & (per_sample <= 1))


def test_inputs_detached_image_passed_float32_no_autocast():
    critic = LinearCritic(_w_with_norm(3.0))
    real = torch.randn(SHAPE, requires_grad=True)
    fake = torch.randn(SHAPE, requires_grad=True)
    image = torch.randn(2, 3, 24, 40)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        gp = gradient_penalty(critic, real.bfloat16(), fake.bfloat16(), image)
    assert gp.dtype == torch.float32
    assert gp.item() == pytest.approx(4.0, abs=1e-5)
    x_hat, seen_image, autocast_on = critic.seen[-1]
    assert x_hat.dtype == torch.float32 and not autocast_on
    torch.testing.assert_close(seen_image, image)  # shared, not mixed
    gp.backward()
    assert real.grad is None and fake.grad is None
    assert critic.w.grad is not None  # double backward into the critic
    with pytest.raises(ValueError, match='same shape'):
        gradient_penalty(critic, real, fake[:1])


@pytest.mark.parametrize('size', [(1, 1), (9, 17)])
def test_double_backward_real_critic(size):
    torch.manual_seed(0)
    critic = HolisticDiscriminator(19, base_channels=16)
    real = torch.randn(2, 19, *size)
    fake = torch.randn(2, 19, *size)
    image = torch.randn(2, 3, size[0] * 8, size[1] * 8)
    gp = gradient_penalty(critic, real, fake, image)
    assert torch.isfinite(gp)
    gp.backward()
    weights = {
        name: p
        for name, p in critic.named_parameters()
        if name.endswith(('weight', 'weight_orig', 'gamma'))
    }
    assert len(weights) > 10
    for name, p in weights.items():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
    assert critic.blocks[0].conv.weight_orig.grad.abs().sum() > 0


def count_forwards(critic):
    """Record the batch size of each of ``critic``'s forwards."""
    calls = []
    critic.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    return calls


def test_critic_with_batch_norm_scores_each_batch_alone():
    """In train mode the input BN must see each batch on its own, as in the
    official code and in the student's step; scored together, BN statistics
    of teacher, student and interpolates would mix."""
    torch.manual_seed(0)
    critic = HolisticDiscriminator(19, base_channels=16)
    assert normalises_over_batch(critic)
    # Same weights and spectral-norm vectors, copied before any forward.
    reference, joint_critic = copy.deepcopy(critic), copy.deepcopy(critic)
    real = torch.randn(2, 19, 9, 17) * 3
    fake = torch.randn(2, 19, 9, 17)
    image = torch.randn(2, 3, 72, 136)
    eps = torch.tensor([0.25, 0.75])
    calls = count_forwards(critic)
    score_real, score_fake, penalty = wasserstein_terms(
        critic, real, fake, image, eps=eps)
    assert calls == [2, 2, 2]
    assert critic.input_bn.num_batches_tracked.item() == 3
    torch.testing.assert_close(score_real, reference(real, image))
    torch.testing.assert_close(score_fake, reference(fake, image))
    torch.testing.assert_close(
        penalty, gradient_penalty(reference, real, fake, image, eps=eps))
    # The batched forward would have given the student other scores.
    joint = joint_critic(torch.cat([real, fake]), image.repeat(2, 1, 1, 1))
    assert not torch.allclose(joint[2:], score_fake, atol=1e-3)


@pytest.mark.parametrize('input_norm, train', [(False, True), (True, False)])
def test_critic_without_batch_statistics_scores_in_one_forward(
        input_norm, train):
    torch.manual_seed(0)
    critic = HolisticDiscriminator(
        19, base_channels=16, input_norm=input_norm, spectral_norm=False)
    for _ in range(2):  # running statistics that are not the initial ones
        critic(torch.randn(2, 19, 9, 17) * 3, torch.randn(2, 3, 9, 17))
    critic.train(train)
    assert not normalises_over_batch(critic)
    real, fake = torch.randn(2, 19, 9, 17), torch.randn(2, 19, 9, 17)
    image = torch.randn(2, 3, 9, 17)
    eps = torch.tensor([0.5, 0.1])
    calls = count_forwards(critic)
    score_real, score_fake, penalty = wasserstein_terms(
        critic, real, fake, image, eps=eps)
    assert calls == [6]
    calls.clear()
    torch.testing.assert_close(score_real, critic(real, image))
    torch.testing.assert_close(score_fake, critic(fake, image))
    torch.testing.assert_close(
        penalty, gradient_penalty(critic, real, fake, image, eps=eps))


def test_critic_terms_are_detached_float32_and_train_the_critic():
    critic = LinearCritic(_w_with_norm(2.0))
    real = torch.randn(SHAPE, requires_grad=True)
    fake = torch.randn(SHAPE, requires_grad=True)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        score_real, score_fake, penalty = wasserstein_terms(critic, real, fake)
    assert not any(autocast for _, _, autocast in critic.seen)
    # No BatchNorm: real, fake and interpolates in one forward.
    assert [seen[0].shape[0] for seen in critic.seen] == [6]
    assert penalty.item() == pytest.approx(1.0, abs=1e-5)  # (2 - 1)^2
    torch.testing.assert_close(score_real, (critic.w * real).flatten(1).sum(1))
    (score_fake.mean() - score_real.mean() + penalty).backward()
    assert real.grad is None and fake.grad is None
    assert critic.w.grad is not None
    with pytest.raises(ValueError, match='same shape'):
        wasserstein_terms(critic, real, fake[:1])
    # A plain callable cannot be inspected for BatchNorm: scored alone.
    critic.seen.clear()
    wasserstein_terms(lambda maps, image: critic(maps), real, fake)
    assert [seen[0].shape[0] for seen in critic.seen] == [2, 2, 2]


def test_maps_of_two_sizes_are_each_scored_with_their_own_image():
    """A student at half resolution: its maps are scored with the image at
    their size, and the penalty's interpolates are taken at the teacher's
    size, towards the student maps bilinearly upsampled to it."""
    torch.manual_seed(0)
    critic = HolisticDiscriminator(
        19, base_channels=16, input_norm=False, spectral_norm=False)
    real, fake = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 4, 8)
    image, small_image = torch.randn(2, 3, 8, 16), torch.randn(2, 3, 4, 8)
    eps = torch.tensor([0.3, 0.6])
    score_real, score_fake, penalty = wasserstein_terms(
        critic, real, fake, image, eps=eps, fake_image=small_image)
    torch.testing.assert_close(score_real, critic(real, image))
    torch.testing.assert_close(score_fake, critic(fake, small_image))
    upsampled = torch.nn.functional.interpolate(
        fake, size=(8, 16), mode='bilinear', align_corners=False)
    torch.testing.assert_close(
        penalty, gradient_penalty(critic, real, upsampled, image, eps=eps))
    with pytest.raises(ValueError, match='fake_image'):
        wasserstein_terms(critic, real, fake, image)

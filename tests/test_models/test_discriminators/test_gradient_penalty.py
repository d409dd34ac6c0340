# Copyright (c) mmskd contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn as nn

from mmskd.models.discriminators import (HolisticDiscriminator, critic_scores,
                                         gradient_penalty)

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


def test_critic_scores_equals_separate_forwards_in_eval():
    torch.manual_seed(0)
    critic = HolisticDiscriminator(19, base_channels=16)
    real, fake = torch.randn(2, 19, 9, 17), torch.randn(2, 19, 9, 17)
    image = torch.randn(2, 3, 72, 136)
    # A few train-mode forwards so the running stats are not trivial.
    for _ in range(3):
        critic(torch.randn(2, 19, 9, 17) * 3, image)
    critic.eval()
    score_real, score_fake = critic_scores(critic, real, fake, image)
    assert score_real.shape == score_fake.shape == (2, )
    torch.testing.assert_close(score_real, critic(real, image))
    torch.testing.assert_close(score_fake, critic(fake, image))
    uncond = HolisticDiscriminator(
        19, base_channels=16, condition_on_image=False).eval()
    s_r, s_f = critic_scores(uncond, real, fake)
    torch.testing.assert_close(s_r, uncond(real))
    torch.testing.assert_close(s_f, uncond(fake))


def test_critic_scores_one_forward_in_train():
    critic = HolisticDiscriminator(19, base_channels=16)
    real = torch.randn(2, 19, 9, 17)
    fake = torch.randn(2, 19, 9, 17, requires_grad=True)
    image = torch.randn(2, 3, 9, 17)
    calls = []
    critic.register_forward_hook(
        lambda m, args, out: calls.append(args[0].shape[0]))
    score_real, score_fake = critic_scores(critic, real, fake, image)
    assert calls == [4]  # one batched forward of real + fake
    # The input BN updated its running statistics once, from both halves.
    assert critic.input_bn.num_batches_tracked.item() == 1
    # Nothing is detached: the caller decides.
    (score_real.mean() - score_fake.mean()).backward()
    assert fake.grad is not None
    with pytest.raises(ValueError, match='same shape'):
        critic_scores(critic, real, fake[:1], image)

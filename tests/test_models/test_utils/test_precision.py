# Copyright (c) mmskd contributors. All rights reserved.
"""Autocast helpers, and the losses and CPU AMP wrapper on torch < 2.4.

torch 2.0 to 2.3 lack ``torch.amp.is_autocast_available`` (2.4) and
``torch.amp.GradScaler`` (2.3); hiding them simulates those versions.
"""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

import mmskd  # noqa: F401  (registers modules, installs the mmrazor shim)
from mmskd.models.discriminators import HolisticDiscriminator
from mmskd.models.losses import (ChannelWiseDivergence, PairWiseAffinityLoss,
                                 PixelWiseDivergence, wasserstein_terms)
from mmskd.models.utils import autocast_available, autocast_disabled


@pytest.fixture
def torch_before_2_3(monkeypatch):
    monkeypatch.delattr(torch.amp, 'is_autocast_available', raising=False)
    monkeypatch.delattr(torch.amp, 'GradScaler', raising=False)


def test_autocast_disabled_keeps_matmul_in_float32():
    mat = torch.randn(4, 4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert (mat @ mat).dtype == torch.bfloat16
        with autocast_disabled(mat.device):
            assert (mat @ mat).dtype == torch.float32
    # A device type without autocast gets a no-op context.
    assert not autocast_available('meta')
    with autocast_disabled(torch.device('meta')):
        pass


def test_autocast_on_torch_before_2_4(torch_before_2_3):
    assert autocast_available('cpu') and autocast_available('cuda')
    assert autocast_available('xpu') and not autocast_available('meta')
    mat = torch.randn(4, 4)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        with autocast_disabled(mat.device):
            assert (mat @ mat).dtype == torch.float32


@pytest.mark.parametrize('loss', [
    PixelWiseDivergence(tau=2.0),
    ChannelWiseDivergence(tau=3.0),
    PairWiseAffinityLoss(node_size=2),
    PairWiseAffinityLoss(node_size=2, connection_range=1),
])
def test_losses_on_torch_before_2_4(loss, monkeypatch):
    torch.manual_seed(0)
    preds_S, preds_T = torch.randn(2, 4, 9, 7), torch.randn(2, 4, 9, 7)
    expected = loss(preds_S, preds_T)
    monkeypatch.delattr(torch.amp, 'is_autocast_available', raising=False)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = loss(preds_S.bfloat16(), preds_T.bfloat16())
    assert value.dtype == torch.float32
    assert value.item() == pytest.approx(
        loss(preds_S.bfloat16().float(), preds_T.bfloat16().float()).item(),
        rel=1e-6)
    assert expected.item() == pytest.approx(value.item(), rel=0.05)


def test_critic_terms_on_torch_before_2_4(torch_before_2_3):
    critic = HolisticDiscriminator(4, base_channels=8)
    output_dtypes = []
    critic.blocks[0].register_forward_hook(
        lambda module, args, out: output_dtypes.append(out.dtype))
    real, fake = torch.randn(2, 4, 9, 7), torch.randn(2, 4, 9, 7)
    image = torch.randn(2, 3, 9, 7)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        critic(real, image)  # autocast reaches the critic's convolutions
        _, _, penalty = wasserstein_terms(critic, real, fake, image)
    # ... but not inside the critic's terms: real, fake and interpolates.
    assert output_dtypes == [torch.bfloat16] + [torch.float32] * 3
    assert torch.isfinite(penalty)


def test_cpu_amp_wrapper_on_torch_before_2_3(torch_before_2_3):
    model = torch.nn.Linear(3, 1)
    wrapper = build_optim_wrapper(
        model,
        dict(
            type='mmskd.CPUAmpOptimWrapper',
            optimizer=dict(type='SGD', lr=0.1)))
    before = model.weight.detach().clone()
    with wrapper.optim_context(model):
        loss = model(torch.ones(2, 3)).sum()
    assert loss.dtype == torch.bfloat16
    wrapper.update_params(loss)
    # d loss / d w = 2 per weight, so SGD moves each weight by -0.2.
    torch.testing.assert_close(
        model.weight.detach(), before - 0.2, atol=1e-2, rtol=0)

# Copyright (c) mmskd contributors. All rights reserved.
import pytest
import torch

from mmskd.models.layers import SAGANSelfAttention


def _reference(module, x):
    """Loop-free but explicit SAGAN attention, written independently."""
    n, c, h, w = x.shape
    q = module.query(x).reshape(n, -1, h * w)
    k = module.key(x).reshape(n, -1, h * w)
    v = module.value(x).reshape(n, c, h * w)
    energy = torch.einsum('nci,ncj->nij', q, k)
    attn = energy.softmax(dim=-1)  # over the attended positions j
    out = torch.einsum('ncj,nij->nci', v, attn).reshape(n, c, h, w)
    return module.gamma * out + x


@pytest.mark.parametrize('spectral_norm', [True, False])
@pytest.mark.parametrize('size', [(1, 1), (3, 5), (8, 16)])
def test_identity_at_init(spectral_norm, size):
    torch.manual_seed(0)
    module = SAGANSelfAttention(64, spectral_norm=spectral_norm)
    assert module.gamma.item() == 0
    x = torch.randn(2, 64, *size)
    assert torch.equal(module(x), x)


@pytest.mark.parametrize('spectral_norm', [True, False])
def test_matches_reference(spectral_norm):
    torch.manual_seed(0)
    module = SAGANSelfAttention(32, spectral_norm=spectral_norm).eval()
    with torch.no_grad():
        module.gamma.fill_(0.7)
    x = torch.randn(2, 32, 5, 7)
    out = module(x)
    assert out.shape == x.shape
    assert not torch.allclose(out, x)
    torch.testing.assert_close(out, _reference(module, x))


def test_channels_and_spectral_norm():
    module = SAGANSelfAttention(256)
    assert module.key_channels == 32
    assert module.query.conv.out_channels == 32
    assert module.key.conv.out_channels == 32
    assert module.value.conv.out_channels == 256
    for proj in (module.query, module.key, module.value):
        assert hasattr(proj.conv, 'weight_orig')
    plain = SAGANSelfAttention(4, spectral_norm=False)
    assert plain.key_channels == 1  # never zero channels
    assert not hasattr(plain.query.conv, 'weight_orig')
    with pytest.raises(ValueError):
        SAGANSelfAttention(0)

# Copyright (c) mmskd contributors. All rights reserved.
import torch
import torch.nn.functional as F

from mmskd.models.losses.unit_vectors import unit_vectors


def test_nonzero_vectors_get_unit_norm_like_f_normalize():
    feats = torch.randn(2, 5, 3, 4)
    assert torch.allclose(unit_vectors(feats), F.normalize(feats, dim=1))


def test_zero_vector_stays_zero_with_zero_gradient():
    feats = torch.tensor([[0., 0., 0.], [3., 4., 0.]], requires_grad=True)
    out = unit_vectors(feats, dim=1)
    assert torch.equal(out[0], torch.zeros(3))
    assert torch.allclose(out[1], torch.tensor([0.6, 0.8, 0.0]))
    out.sum().backward()
    assert torch.equal(feats.grad[0], torch.zeros(3))
    # F.normalize would send about 1/eps = 1e12 into the zero vector.
    zero = torch.zeros(1, 3, requires_grad=True)
    F.normalize(zero, dim=1).sum().backward()
    assert zero.grad.abs().max() > 1e6

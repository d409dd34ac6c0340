# Copyright (c) mmskd contributors. All rights reserved.
import math

import pytest
import torch

from mmskd.models.losses import BernoulliPixelWiseDivergence


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def bernoulli_kl(t: float, s: float) -> float:
    """KL(Bern(sigmoid(t)) || Bern(sigmoid(s))), written out."""
    p, q = sigmoid(t), sigmoid(s)
    return p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))


def test_value_is_the_per_class_bernoulli_kl_summed_and_averaged():
    # N=1, C=2, H=1, W=2: two pixels of two classes.
    student = torch.tensor([[[[0.0, 1.0]], [[-2.0, 0.5]]]])
    teacher = torch.tensor([[[[1.0, -1.0]], [[0.0, 3.0]]]])
    expected = ((bernoulli_kl(1.0, 0.0) + bernoulli_kl(0.0, -2.0)) +
                (bernoulli_kl(-1.0, 1.0) + bernoulli_kl(3.0, 0.5))) / 2
    loss = BernoulliPixelWiseDivergence(loss_weight=10.0)(student, teacher)
    assert loss.item() == pytest.approx(10.0 * expected, rel=1e-6)


def test_temperature_scales_logits_and_multiplies_tau_squared():
    student = torch.tensor([[[[0.4]], [[-1.0]]]])
    teacher = torch.tensor([[[[2.0]], [[0.6]]]])
    tau = 2.0
    expected = tau**2 * (
        bernoulli_kl(2.0 / tau, 0.4 / tau) +
        bernoulli_kl(0.6 / tau, -1.0 / tau))
    loss = BernoulliPixelWiseDivergence(tau=tau)(student, teacher)
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_zero_for_equal_maps_and_gradient_to_the_student_only():
    teacher = torch.randn(2, 3, 4, 4, requires_grad=True)
    student = teacher.detach().clone().requires_grad_(True)
    loss = BernoulliPixelWiseDivergence()(student, teacher)
    assert loss.item() == pytest.approx(0.0, abs=1e-7)
    (loss + BernoulliPixelWiseDivergence()(student * 2, teacher)).backward()
    assert student.grad is not None and student.grad.abs().sum() > 0
    assert teacher.grad is None


def test_class_count_mismatch_names_the_fix():
    with pytest.raises(ValueError, match='num_classes'):
        BernoulliPixelWiseDivergence()(torch.zeros(1, 80, 2, 2),
                                       torch.zeros(1, 20, 2, 2))

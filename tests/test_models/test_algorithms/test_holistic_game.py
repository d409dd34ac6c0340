# Copyright (c) mmskd contributors. All rights reserved.
"""HolisticDistill's game against a hand-written critic, and its direction.

The algorithm is the tiny SKD config with a one-block critic whose weights
the tests set (``mmskd.testing.fixed_weights``), so that the student's term
can be recomputed by hand, and the critic's and the student's steps can be
checked to move the scores the way the game says: the critic separates
teacher from student maps, the student raises its own score.
"""
import copy
import os.path as osp
from unittest import mock

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.testing import (REPO, fixed_weights, load_weights, reference_score,
                           tiny_cfg)

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
CLASSES = 19
# One block: the 8x16 score maps of the 64x128 test images become 4x8, and
# the k4 output conv leaves 1x5 values for the final pool.
CRITIC = dict(
    type='HolisticDiscriminator',
    in_channels=CLASSES,
    base_channels=8,
    num_blocks=1,
    attention_after=(1, ),
    spectral_norm=False,
    condition_on_image=True)
STEPS = 3


@pytest.fixture
def cfg(cityscapes_root):
    cfg = tiny_cfg(SKD, cityscapes_root)
    cfg.model.discriminator = dict(CRITIC)
    return cfg


def build(cfg):
    """The algorithm with the reference critic's weights, and its wrappers."""
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()  # before loading: it re-initialises the convs
    weights = fixed_weights(CLASSES + 3, 8, 1, (1, ), input_norm=True)
    load_weights(algorithm.discriminator, weights)
    optim_wrapper = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    return algorithm.train(), optim_wrapper, weights


def batch(cfg):
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[0], dataset[1]])


def test_student_term_is_minus_lambda2_mean_of_the_reference_score(cfg):
    """Through a real train step: the student's maps, conditioned on the
    batch's own (preprocessed) images, scored by the hand-written critic."""
    algorithm, optim_wrapper, weights = build(cfg)
    data = batch(cfg)
    images = algorithm.data_preprocessor(copy.deepcopy(data), True)['inputs']
    student_term = type(algorithm)._student_holistic_loss
    seen = {}

    def spy(self, fake_maps, conditions):
        seen['maps'] = [fake.detach().clone() for fake in fake_maps]
        seen['term'] = student_term(self, fake_maps, conditions)
        return seen['term']

    with mock.patch.object(type(algorithm), '_student_holistic_loss', spy):
        log_vars = algorithm.train_step(data, optim_wrapper)
    # The student steps first, so the critic still had the fixed weights.
    expected = -0.1 * reference_score(weights, seen['maps'][0], images).mean()
    torch.testing.assert_close(seen['term'].detach(), expected)
    assert float(log_vars['distill.loss_ho']) == pytest.approx(
        expected.item(), rel=1e-5)


def fixed_maps():
    """Teacher maps (confident, smooth regions) and student maps (noise)."""
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, CLASSES, (2, 1, 2, 4), generator=gen)
    onehot = torch.zeros(2, CLASSES, 2, 4).scatter_(1, labels, 4.0)
    real = torch.nn.functional.interpolate(onehot, size=(8, 16))
    fake = torch.randn(2, CLASSES, 8, 16, generator=gen)
    image = torch.rand(2, 3, 64, 128, generator=gen)
    return real, fake, image


def test_critic_steps_raise_the_teacher_student_gap(cfg):
    """k critic steps on fixed maps raise ``D(Q_t) - D(Q_s)``, and the
    logged ``disc.wdist`` is that gap (conditioned on the image)."""
    algorithm, optim_wrapper, weights = build(cfg)
    real, fake, image = fixed_maps()
    critic = algorithm.discriminator

    def gap() -> float:  # train mode, as in the step: per-batch statistics
        with torch.no_grad():
            return (critic(real, image).mean() -
                    critic(fake, image).mean()).item()

    start = (reference_score(weights, real, image).mean() -
             reference_score(weights, fake, image).mean()).item()
    assert gap() == pytest.approx(start, rel=1e-5)
    logged = [
        algorithm._update_discriminator(optim_wrapper['discriminator'], [real],
                                        [fake], [image],
                                        [image])['disc.wdist'].item()
        for _ in range(STEPS)
    ]
    assert logged[0] == pytest.approx(start, rel=1e-5)  # before its step
    assert logged == sorted(logged) and logged[-1] > logged[0], logged
    assert gap() > logged[-1]


def test_student_steps_against_a_frozen_critic_raise_its_score(cfg):
    """With the holistic term as the student's only loss and the critic
    frozen, k student steps raise ``D(Q_s)`` on a fixed batch."""
    cfg.model.calculate_student_loss = False
    cfg.model.distiller.distill_losses = dict()
    cfg.model.distiller.loss_forward_mappings = dict()
    # No dropout: the same batch gives the same maps up to the updates.
    cfg.merge_from_dict({'model.architecture.decode_head.dropout_ratio': 0})
    algorithm, optim_wrapper, _ = build(cfg)
    data = batch(cfg)
    critic = {
        k: v.clone()
        for k, v in algorithm.discriminator.state_dict().items()
    }
    scores = []
    with mock.patch.object(
            type(algorithm), '_update_discriminator', return_value={}):
        for _ in range(STEPS):
            log_vars = algorithm.train_step(copy.deepcopy(data), optim_wrapper)
            scores.append(-float(log_vars['distill.loss_ho']) / 0.1)
    assert scores == sorted(scores) and scores[-1] > scores[0], scores
    statistics = ('running_mean', 'running_var', 'num_batches_tracked')
    for name, value in algorithm.discriminator.state_dict().items():
        if not name.endswith(statistics):  # BatchNorm still counts batches
            assert torch.equal(value, critic[name]), name

# Copyright (c) mmskd contributors. All rights reserved.
"""The holistic (adversarial) step of HolisticDistill."""
import contextlib
import copy
import logging
import os.path as osp
from unittest import mock

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.losses import gradient_penalty, wasserstein_terms
from mmskd.models.utils import guarded_update
from mmskd.testing import REPO, tiny_cfg

ALGORITHM = 'mmskd.models.algorithms.holistic_distill.'
UPDATES = 'mmskd.models.utils.updates.'
GUARD = 'mmskd.models.utils.step_guard.'

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')


@pytest.fixture
def cfg(cityscapes_root):
    return tiny_cfg(SKD, cityscapes_root)


def build(cfg):
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()
    return algorithm, build_optim_wrapper(algorithm, cfg.optim_wrapper)


def batch(cfg, indices=(0, 1)):
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in indices])


def snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def changed(before, module):
    after = module.state_dict()
    return [k for k, v in before.items() if not torch.equal(v, after[k])]


def test_constructor_splits_student_and_discriminator(cfg):
    cfg.model.distiller.connectors = dict(
        up=dict(
            type='mmrazor.ConvModuleConnector',
            in_channel=16,
            out_channel=32,
            norm_cfg=None,
            act_cfg=None))
    algorithm, optim_wrapper = build(cfg)
    assert isinstance(optim_wrapper, OptimWrapperDict)
    student_params = {
        id(p)
        for g in optim_wrapper['architecture'].optimizer.param_groups
        for p in g['params']
    }
    disc_params = {
        id(p)
        for g in optim_wrapper['discriminator'].optimizer.param_groups
        for p in g['params']
    }
    assert student_params == {
        id(p)
        for p in algorithm.student.parameters()
    } | {id(p)
         for p in algorithm.distiller.connectors.parameters()}
    assert disc_params == {id(p) for p in algorithm.discriminator.parameters()}
    assert optim_wrapper['discriminator'].optimizer.defaults['lr'] == 4e-4


def test_train_step_updates_student_and_disc_not_teacher(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    student, disc, teacher = (snapshot(algorithm.student),
                              snapshot(algorithm.discriminator),
                              snapshot(algorithm.teacher))
    log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert {
        'distill.loss_pi', 'distill.loss_pa', 'distill.loss_ho',
        'disc.loss_adv', 'disc.loss_gp', 'disc.wdist'
    } <= set(log_vars)
    # disc.loss_adv is λ_d (0.1) times D(Q_s) - D(Q_t); wdist is unweighted.
    assert torch.isclose(log_vars['disc.wdist'],
                         -10 * log_vars['disc.loss_adv'])
    assert changed(student, algorithm.student)
    assert any('weight' in k for k in changed(disc, algorithm.discriminator))
    assert not changed(teacher, algorithm.teacher)


def test_disc_is_frozen_during_the_student_update(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    params = {
        n: p.detach().clone()
        for n, p in algorithm.discriminator.named_parameters()
    }
    with mock.patch.object(
            type(algorithm), '_update_discriminator', return_value={}):
        log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert log_vars['distill.loss_ho'] != 0
    for name, param in algorithm.discriminator.named_parameters():
        assert torch.equal(param, params[name]), name
        assert param.grad is None or not param.grad.any(), name
        assert param.requires_grad, name


def test_student_adversarial_term_is_minus_weighted_disc_score(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.eval()  # BN running stats: the disc is deterministic
    fake = torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    expected = -0.1 * algorithm.discriminator(fake, image).mean()
    value = algorithm._student_holistic_loss([fake], [image])
    assert torch.allclose(value, expected)


def test_batched_disc_terms_equal_separate_forwards(cfg):
    algorithm, _ = build(cfg)
    disc = algorithm.discriminator.eval()
    real, fake = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    eps = torch.tensor([0.25, 0.75])
    score_real, score_fake, penalty = wasserstein_terms(
        disc, real, fake, image, eps=eps)
    assert torch.allclose(score_real, disc(real, image), atol=1e-6)
    assert torch.allclose(score_fake, disc(fake, image), atol=1e-6)
    assert torch.allclose(
        penalty, gradient_penalty(disc, real, fake, image, eps=eps), atol=1e-6)


def test_gradient_penalty_stays_float32_under_autocast(cfg):
    algorithm, _ = build(cfg)
    real, fake = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        _, _, penalty = wasserstein_terms(algorithm.discriminator, real, fake,
                                          image)
    assert penalty.dtype == torch.float32


def test_discriminator_first_order(cfg):
    cfg.model.student_first = False
    algorithm, optim_wrapper = build(cfg)
    calls = []

    def record_update(wrapper, loss, synced, name):
        calls.append(name)
        return guarded_update(wrapper, loss, synced, name)

    with mock.patch(GUARD + 'guarded_update', side_effect=record_update):
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert calls == ['discriminator', 'student']
    cfg.model.student_first = True
    cfg.model.disc_steps = 2
    algorithm, optim_wrapper = build(cfg)
    calls.clear()
    with mock.patch(GUARD + 'guarded_update', side_effect=record_update):
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert calls == ['student', 'discriminator', 'discriminator']


def test_non_finite_discriminator_loss_is_skipped(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    before = {
        n: p.detach().clone()
        for n, p in algorithm.discriminator.named_parameters()
    }

    def nan_terms(disc, real, fake, image, fake_image):
        score = disc(real, image)
        return score, score, score.sum() * float('nan')

    with mock.patch(ALGORITHM + 'wasserstein_terms',
                    side_effect=nan_terms), \
            mock.patch(UPDATES + 'print_log') as print_log:
        algorithm.train_step(batch(cfg), optim_wrapper)
    message, = print_log.call_args.args
    assert 'Skipped a discriminator update' in message
    assert print_log.call_args.kwargs['level'] == logging.WARNING
    for name, param in algorithm.discriminator.named_parameters():
        assert torch.equal(param, before[name]), name


def test_plain_optim_wrapper_is_refused_with_the_fix(cfg):
    algorithm, _ = build(cfg)
    plain = build_optim_wrapper(algorithm,
                                dict(optimizer=dict(type='SGD', lr=0.01)))
    with pytest.raises(TypeError, match='AdversarialOptimWrapperConstructor'):
        algorithm.train_step(batch(cfg), plain)


def test_structured_distill_with_a_discriminator_names_holistic_distill(cfg):
    cfg.model.type = 'StructuredDistill'
    with pytest.raises(TypeError, match="type='HolisticDistill'"):
        build(cfg)


def test_non_finite_student_loss_is_skipped(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    before = snapshot(algorithm.student)

    def nan_loss(fake_maps, images):
        # A NaN that reaches every student parameter's gradient.
        return float('nan') * sum(m.sum() for m in fake_maps)

    with mock.patch.object(type(algorithm), '_student_holistic_loss',
                           side_effect=nan_loss), \
            mock.patch(UPDATES + 'print_log') as print_log:
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert 'Skipped a student update' in print_log.call_args_list[0].args[0]
    parameters = [k for k, _ in algorithm.student.named_parameters()]
    assert not [
        k for k in changed(before, algorithm.student) if k in parameters
    ]
    assert all(p.grad is None or not p.grad.any()
               for p in algorithm.student.parameters())


def test_stopped_distillation_trains_the_student_alone(cfg):
    """After mmrazor's StopDistillHook: no distill or holistic terms, no
    disc update; the student still learns."""
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    algorithm.distillation_stopped = True
    student, disc = (snapshot(algorithm.student),
                     snapshot(algorithm.discriminator))
    log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert not [
        key for key in log_vars if key.startswith(('distill.', 'disc.'))
    ], sorted(log_vars)
    assert 'student.decode.loss_ce' in log_vars
    assert changed(student, algorithm.student)
    assert not changed(disc, algorithm.discriminator)


@pytest.mark.parametrize('role, name, hint', [
    ('student_recorder', 'logit', "Did you mean 'logits'"),
    ('teacher_recorder', 'nothing_like_it', 'it has'),
])
def test_holistic_recorder_typo_fails_at_build(cfg, role, name, hint):
    recorders = cfg.model.distiller[role.replace('recorder', 'recorders')]
    assert 'logits' in recorders  # the name the typos miss
    cfg.model[role] = name
    with pytest.raises(ValueError, match=f'{role} is') as error:
        build(cfg)
    assert hint in str(error.value)


def test_record_index_beyond_the_recorded_calls(cfg):
    cfg.model.record_indices = (0, 3)
    algorithm, optim_wrapper = build(cfg)
    with pytest.raises(
            ValueError,
            match=r'call 3 of the recorder .* '
            r'recorded 1 call\(s\)'):
        algorithm.train_step(batch(cfg), optim_wrapper)


def test_holistic_term_is_the_sum_over_levels(cfg):
    algorithm, _ = build(cfg)
    disc = algorithm.discriminator.eval()
    maps = [torch.randn(2, 19, 8, 16), torch.randn(2, 19, 4, 8)]
    images = [torch.randn(2, 3, 8, 16), torch.randn(2, 3, 4, 8)]
    expected = -0.1 * (
        disc(maps[0], images[0]).mean() + disc(maps[1], images[1]).mean())
    assert torch.allclose(
        algorithm._student_holistic_loss(maps, images), expected)


def test_image_is_resized_once_per_level_and_step(cfg):
    """Four scorings per map (student term, real, fake, interpolates), one
    resize of the full-resolution image."""
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    disc_type = type(algorithm.discriminator)
    resize = disc_type.resize_image
    resized = []

    def counting(image, size):
        if tuple(image.shape[-2:]) != tuple(size):
            resized.append(tuple(size))
        return resize(image, size)

    with mock.patch.object(disc_type, 'resize_image', side_effect=counting):
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert len(resized) == 1


class NoSyncRecorder(torch.nn.Module):
    """A stand-in for the student's DDP wrapper: counts ``no_sync``."""

    def __init__(self, module):
        super().__init__()
        self.module = module
        self.no_sync_calls = 0

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def no_sync(self):
        self.no_sync_calls += 1
        return contextlib.nullcontext()


def test_accumulation_skips_the_student_all_reduce_in_between(cfg):
    """With accumulative_counts=2 the student's forward runs under its
    wrapper's no_sync on the first micro-step only (mmengine's optim_context
    needs the wrapped student, not the algorithm, which has no no_sync)."""
    cfg.optim_wrapper.architecture.accumulative_counts = 2
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.architecture = NoSyncRecorder(algorithm.architecture)
    optim_wrapper = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    optim_wrapper['architecture'].initialize_count_status(algorithm, 0, 2)
    algorithm.train()
    algorithm.train_step(batch(cfg), optim_wrapper)
    # Two optim_context blocks (forward, holistic term) on a micro-step.
    assert algorithm.architecture.no_sync_calls == 2
    algorithm.train_step(batch(cfg), optim_wrapper)
    assert algorithm.architecture.no_sync_calls == 2

# Copyright (c) mmskd contributors. All rights reserved.
"""The holistic (adversarial) step of StructuredDistill."""
import copy
import logging
import os.path as osp
from unittest import mock

import pytest
import torch
from conftest import REPO, tiny_cfg
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.discriminators import (gradient_penalty,
                                         wasserstein_critic_terms)

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


def test_constructor_splits_student_and_critic(cfg):
    cfg.model.distiller.connectors = dict(
        up=dict(type='mmrazor.ConvModuleConnector', in_channel=16,
                out_channel=32, norm_cfg=None, act_cfg=None))
    algorithm, optim_wrapper = build(cfg)
    assert isinstance(optim_wrapper, OptimWrapperDict)
    student_params = {
        id(p)
        for g in optim_wrapper['architecture'].optimizer.param_groups
        for p in g['params']
    }
    critic_params = {
        id(p)
        for g in optim_wrapper['discriminator'].optimizer.param_groups
        for p in g['params']
    }
    assert student_params == {id(p) for p in algorithm.student.parameters()
                              } | {id(p) for p in algorithm.distiller.
                                   connectors.parameters()}
    assert critic_params == {
        id(p)
        for p in algorithm.discriminator.parameters()
    }
    assert optim_wrapper['discriminator'].optimizer.defaults['lr'] == 4e-4


def test_train_step_updates_student_and_critic_not_teacher(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    student, critic, teacher = (snapshot(algorithm.student),
                                snapshot(algorithm.discriminator),
                                snapshot(algorithm.teacher))
    log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert {'distill.loss_pi', 'distill.loss_pa', 'distill.loss_ho',
            'disc.loss_adv', 'disc.loss_gp', 'disc.wdist'} <= set(log_vars)
    # disc.loss_adv is λ_d (0.1) times D(Q_s) - D(Q_t); wdist is unweighted.
    assert torch.isclose(log_vars['disc.wdist'],
                         -10 * log_vars['disc.loss_adv'])
    assert changed(student, algorithm.student)
    assert any('weight' in k for k in changed(critic, algorithm.discriminator))
    assert not changed(teacher, algorithm.teacher)


def test_critic_is_frozen_during_the_student_update(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    params = {
        n: p.detach().clone()
        for n, p in algorithm.discriminator.named_parameters()
    }
    with mock.patch.object(type(algorithm), '_train_critic',
                           return_value={}):
        log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert log_vars['distill.loss_ho'] != 0
    for name, param in algorithm.discriminator.named_parameters():
        assert torch.equal(param, params[name]), name
        assert param.grad is None or not param.grad.any(), name
        assert param.requires_grad, name


def test_student_adversarial_term_is_minus_weighted_critic_score(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.eval()  # BN running stats: the critic is deterministic
    fake = torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    expected = -0.1 * algorithm.discriminator(fake, image).mean()
    value = algorithm._student_holistic_loss([fake], image)
    assert torch.allclose(value, expected)


def test_batched_critic_terms_equal_separate_forwards(cfg):
    algorithm, _ = build(cfg)
    critic = algorithm.discriminator.eval()
    real, fake = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    eps = torch.tensor([0.25, 0.75])
    score_real, score_fake, penalty = wasserstein_critic_terms(
        critic, real, fake, image, eps=eps)
    assert torch.allclose(score_real, critic(real, image), atol=1e-6)
    assert torch.allclose(score_fake, critic(fake, image), atol=1e-6)
    assert torch.allclose(
        penalty, gradient_penalty(critic, real, fake, image, eps=eps),
        atol=1e-6)


def test_gradient_penalty_stays_float32_under_autocast(cfg):
    algorithm, _ = build(cfg)
    real, fake = torch.randn(2, 19, 8, 16), torch.randn(2, 19, 8, 16)
    image = torch.randn(2, 3, 64, 128)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        _, _, penalty = wasserstein_critic_terms(algorithm.discriminator,
                                                 real, fake, image)
    assert penalty.dtype == torch.float32


def test_critic_first_order(cfg):
    cfg.model.holistic.student_first = False
    algorithm, optim_wrapper = build(cfg)
    calls = []
    original_update = type(algorithm)._update

    def record_update(wrapper, loss, synced):
        calls.append('critic' if synced is algorithm.discriminator else
                     'student')
        original_update(wrapper, loss, synced)

    with mock.patch.object(type(algorithm), '_update',
                           side_effect=record_update):
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert calls == ['critic', 'student']
    cfg.model.holistic.student_first = True
    cfg.model.holistic.critic_steps = 2
    algorithm, optim_wrapper = build(cfg)
    calls.clear()
    with mock.patch.object(type(algorithm), '_update',
                           side_effect=record_update):
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert calls == ['student', 'critic', 'critic']


def test_non_finite_critic_loss_is_skipped(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    before = {
        n: p.detach().clone()
        for n, p in algorithm.discriminator.named_parameters()
    }

    def nan_terms(critic, real, fake, image):
        score = critic(real, image)
        return score, score, score.sum() * float('nan')

    module = 'mmskd.models.algorithms.structured_distill.'
    with mock.patch(module + 'wasserstein_critic_terms',
                    side_effect=nan_terms), \
            mock.patch(module + 'print_log') as print_log:
        algorithm.train_step(batch(cfg), optim_wrapper)
    message, = print_log.call_args.args
    assert 'Skipped a critic update' in message
    assert print_log.call_args.kwargs['level'] == logging.WARNING
    for name, param in algorithm.discriminator.named_parameters():
        assert torch.equal(param, before[name]), name


def test_plain_optim_wrapper_is_refused_with_the_fix(cfg):
    algorithm, _ = build(cfg)
    plain = build_optim_wrapper(
        algorithm, dict(optimizer=dict(type='SGD', lr=0.01)))
    with pytest.raises(TypeError, match='AdversarialOptimWrapperConstructor'):
        algorithm.train_step(batch(cfg), plain)


def test_discriminator_without_holistic_settings(cfg):
    del cfg.model['holistic']
    with pytest.raises(ValueError, match='needs both'):
        build(cfg)


def test_non_finite_student_loss_is_skipped(cfg):
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    before = snapshot(algorithm.student)
    module = 'mmskd.models.algorithms.structured_distill.'
    nan = torch.tensor(float('nan'), requires_grad=True)
    with mock.patch.object(type(algorithm), '_student_holistic_loss',
                           return_value=nan * 1), \
            mock.patch(module + 'print_log') as print_log:
        algorithm.train_step(batch(cfg), optim_wrapper)
    assert 'Skipped a student update' in print_log.call_args_list[0].args[0]
    parameters = [k for k, _ in algorithm.student.named_parameters()]
    assert not [k for k in changed(before, algorithm.student)
                if k in parameters]


def test_stopped_distillation_trains_the_student_alone(cfg):
    """After mmrazor's StopDistillHook: no distill or holistic terms, no
    critic update; the student still learns."""
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    algorithm.distillation_stopped = True
    student, critic = (snapshot(algorithm.student),
                       snapshot(algorithm.discriminator))
    log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert not [key for key in log_vars
                if key.startswith(('distill.', 'disc.'))], sorted(log_vars)
    assert 'student.decode.loss_ce' in log_vars
    assert changed(student, algorithm.student)
    assert not changed(critic, algorithm.discriminator)


@pytest.mark.parametrize('role, name, hint', [
    ('student_recorder', 'logit', "Did you mean 'logits'"),
    ('teacher_recorder', 'nothing_like_it', 'it has'),
])
def test_holistic_recorder_typo_fails_at_build(cfg, role, name, hint):
    recorders = cfg.model.distiller[role.replace('recorder', 'recorders')]
    assert 'logits' in recorders  # the name the typos miss
    cfg.model.holistic[role] = name
    with pytest.raises(ValueError, match=f'holistic.{role}') as error:
        build(cfg)
    assert hint in str(error.value)


def test_record_index_beyond_the_recorded_calls(cfg):
    cfg.model.holistic.record_indices = (0, 3)
    algorithm, optim_wrapper = build(cfg)
    with pytest.raises(ValueError, match=r'call 3 of the recorder .* '
                       r'recorded 1 call\(s\)'):
        algorithm.train_step(batch(cfg), optim_wrapper)

# Copyright (c) mmskd contributors. All rights reserved.
"""The two algorithms of knowledge adaptation on the Cityscapes configs,
shrunk: phase 1 trains the translator on the frozen teacher, phase 2 loads
its encoder (refusing another teacher's) and trains student and adapters."""
import copy
import os.path as osp
from unittest import mock

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models import KnowledgeAdaptationDistill
from mmskd.models.adapters import decode_identity
from mmskd.models.losses import (AffinityDistillationLoss,
                                 KnowledgeAdaptationLoss)
from mmskd.registry import MODELS as MMSKD_MODELS
from mmskd.testing import (CONFIG_ROOT, tiny_ka_options,
                           write_teacher_checkpoint)

PHASE_ONE = osp.join(
    CONFIG_ROOT,
    'ka/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_cityscapes-512x1024.py')
PHASE_TWO = osp.join(
    CONFIG_ROOT, 'ka/ka_deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_4xb4-90k_'
    'cityscapes-512x1024.py')
IMAGE_SIZE = (64, 128)
TEACHER_WIDTH = 32  # the tiny teacher's decode_head.channels


def tiny(config: str, data_root: str, **overrides) -> Config:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_ka_options(cfg, data_root, IMAGE_SIZE))
    cfg.merge_from_dict(overrides)
    return cfg


def build(cfg: Config):
    init_default_scope(cfg.default_scope)
    return MODELS.build(copy.deepcopy(cfg.model))


def one_batch(cfg: Config, algorithm) -> tuple:
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    data = pseudo_collate([dataset[0], dataset[1]])
    data = algorithm.data_preprocessor(data, training=True)
    return data['inputs'], data['data_samples']


def save(algorithm, path: str) -> str:
    torch.save(dict(state_dict=algorithm.state_dict(), meta=dict()), path)
    return path


@pytest.fixture(scope='module')
def teacher_ckpt(cityscapes_root, tmp_path_factory) -> str:
    cfg = tiny(PHASE_ONE, cityscapes_root)
    return write_teacher_checkpoint(
        cfg, str(tmp_path_factory.mktemp('teacher') / 'teacher.pth'))


@pytest.fixture(scope='module')
def phase_one(cityscapes_root, teacher_ckpt):
    cfg = tiny(PHASE_ONE, cityscapes_root,
               **{'model.teacher_ckpt': teacher_ckpt})
    return cfg, build(cfg)


@pytest.fixture(scope='module')
def translator_ckpt(phase_one, tmp_path_factory) -> str:
    _, algorithm = phase_one
    return save(algorithm,
                str(tmp_path_factory.mktemp('phase1') / 'epoch_1.pth'))


def phase_two_cfg(data_root: str, teacher_ckpt: str, translator_ckpt: str,
                  **overrides) -> Config:
    return tiny(
        PHASE_TWO, data_root, **{
            'model.teacher_ckpt': teacher_ckpt,
            'model.translator_ckpt': translator_ckpt,
            **overrides
        })


def test_phase_one_trains_the_translator_alone(phase_one):
    _, algorithm = phase_one
    assert algorithm.translator.channels == TEACHER_WIDTH  # read off
    trainable = {
        name.split('.', 1)[0]
        for name, param in algorithm.named_parameters() if param.requires_grad
    }
    assert trainable == {'translator'}
    identity = algorithm.translator.teacher_identity
    assert identity['feature_source'] == 'decode_head.bottleneck'
    assert identity['channels'] == TEACHER_WIDTH
    assert identity['weights'] is not None  # the teacher has a checkpoint
    assert decode_identity(
        algorithm.state_dict()['translator._extra_state']) == identity


def test_phase_one_builds_no_student(phase_one):
    from mmskd.models.algorithms.knowledge_translator_pretrain import NoStudent
    _, algorithm = phase_one
    assert isinstance(algorithm.student, NoStudent)
    assert not list(algorithm.student.parameters())
    assert not [
        key for key in algorithm.state_dict()
        if key.startswith('architecture.')
    ]
    # The student's preprocessor, as in phase 2: the tiny image size.
    assert tuple(algorithm.data_preprocessor.size) == IMAGE_SIZE


def test_phase_one_loss_is_the_translators_on_the_teachers_feature(phase_one):
    cfg, algorithm = phase_one
    algorithm.train()
    inputs, samples = one_batch(cfg, algorithm)
    no_loss = mock.patch.object(
        algorithm.teacher, 'loss', side_effect=AssertionError('teacher loss'))
    no_student = mock.patch.object(
        algorithm.student,
        'forward',
        side_effect=AssertionError('phase 1 ran the student'))
    with no_loss, no_student:
        losses = algorithm(inputs, samples, mode='loss')
    assert set(losses) == {'translator.loss_rec', 'translator.loss_sparsity'}
    feats = algorithm.distiller.teacher_recorders.get_recorder(
        'feature').get_record_data()
    # The teacher's stride-8 feature, encoded onto the stride-16 grid.
    assert feats.shape[-2:] == (IMAGE_SIZE[0] // 8, IMAGE_SIZE[1] // 8)
    assert not feats.requires_grad
    expected = algorithm.translator.loss(feats)
    for key, value in expected.items():
        assert torch.allclose(losses[f'translator.{key}'], value)
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in algorithm.translator.parameters())


def test_phase_one_has_nothing_to_predict(phase_one):
    cfg, algorithm = phase_one
    inputs, samples = one_batch(cfg, algorithm)
    with pytest.raises(RuntimeError, match='without validation'):
        algorithm(inputs, samples, mode='predict')


def test_phase_one_refuses_a_wrong_width_or_recorder(cityscapes_root):
    with pytest.raises(ValueError, match='32 channels wide'):
        build(
            tiny(PHASE_ONE, cityscapes_root,
                 **{'model.translator.channels': 8}))
    with pytest.raises(ValueError, match="teacher_recorder is 'feat'"):
        build(
            tiny(PHASE_ONE, cityscapes_root,
                 **{'model.teacher_recorder': 'feat'}))


@pytest.fixture(scope='module')
def phase_two(cityscapes_root, teacher_ckpt, translator_ckpt):
    cfg = phase_two_cfg(cityscapes_root, teacher_ckpt, translator_ckpt)
    return cfg, build(cfg)


def test_phase_two_loads_the_frozen_encoder_of_phase_one(phase_one, phase_two):
    _, translator_run = phase_one
    _, algorithm = phase_two
    assert isinstance(algorithm, KnowledgeAdaptationDistill)
    encoder = algorithm.distiller.connectors['translator']
    for key, value in translator_run.translator.encoder.state_dict().items():
        assert torch.equal(encoder.encoder.state_dict()[key], value), key
    algorithm.train()
    assert not any(m.training for m in encoder.modules())
    assert not any(p.requires_grad for p in encoder.parameters())
    assert encoder.is_init  # init_weights leaves it alone
    adapters = [
        algorithm.distiller.connectors[name]
        for name in ('feature_adapter', 'affinity_adapter')
    ]
    first = [adapter.convs[0].conv for adapter in adapters]
    last = [adapter.convs[-1].conv for adapter in adapters]
    assert [conv.in_channels for conv in first] == [16, 16]
    assert [conv.out_channels for conv in last] == [TEACHER_WIDTH] * 2


def test_phase_two_losses_are_their_formulas_on_one_encoding(phase_two):
    cfg, algorithm = phase_two
    algorithm.train()
    inputs, samples = one_batch(cfg, algorithm)
    encoder = algorithm.distiller.connectors['translator']
    calls = []
    hook = encoder.encoder.register_forward_hook(lambda *a: calls.append(1))
    losses = algorithm(inputs, samples, mode='loss')
    hook.remove()
    assert len(calls) == 1  # both losses read one encoding
    assert {
        'student.decode.loss_ce', 'distill.loss_adapt', 'distill.loss_aff'
    } <= set(losses)
    connectors = algorithm.distiller.connectors
    feat_S = algorithm.distiller.student_recorders.get_recorder(
        'feature').get_record_data()
    feat_T = algorithm.distiller.teacher_recorders.get_recorder(
        'feature').get_record_data()
    code = connectors['translator'](feat_T)
    # The teacher's stride-8 feature becomes a code on the student's grid.
    assert code.shape[-2:] == feat_S.shape[-2:] == (IMAGE_SIZE[0] // 16,
                                                    IMAGE_SIZE[1] // 16)
    adapt = KnowledgeAdaptationLoss(loss_weight=50)(
        connectors['feature_adapter'](feat_S), code)
    aff = AffinityDistillationLoss()(connectors['affinity_adapter'](feat_S),
                                     code)
    # BN in train mode: the adapters' second forward sees the same batch.
    assert torch.allclose(losses['distill.loss_adapt'], adapt, rtol=1e-5)
    assert torch.allclose(losses['distill.loss_aff'], aff, rtol=1e-5)


def test_phase_two_trains_student_and_adapters_not_teacher_or_encoder(
        phase_two):
    cfg, algorithm = phase_two
    algorithm.train()
    wrapper = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    optimised = {
        id(p)
        for group in wrapper.optimizer.param_groups
        for p in group['params']
    }
    connectors = algorithm.distiller.connectors
    for name in ('feature_adapter', 'affinity_adapter'):
        assert all(id(p) in optimised for p in connectors[name].parameters())
    inputs, samples = one_batch(cfg, algorithm)
    wrapper.zero_grad()
    losses = algorithm(inputs, samples, mode='loss')
    loss, _ = algorithm.parse_losses(losses)
    loss.backward()
    for name in ('feature_adapter', 'affinity_adapter'):
        assert all(p.grad is not None and p.grad.abs().sum() > 0
                   for p in connectors[name].parameters() if p.dim() > 1), name
    assert all(p.grad is None for p in connectors['translator'].parameters())
    assert all(p.grad is None for p in algorithm.teacher.parameters())
    assert algorithm.student.backbone.conv1.conv.weight.grad is not None


def test_missing_translator_checkpoint_says_to_run_phase_one(
        cityscapes_root, teacher_ckpt, tmp_path):
    cfg = phase_two_cfg(cityscapes_root, teacher_ckpt,
                        str(tmp_path / 'nowhere.pth'))
    with pytest.raises(FileNotFoundError, match='Train phase 1 first'):
        build(cfg)


def test_a_checkpoint_without_a_translator_is_refused(cityscapes_root,
                                                      teacher_ckpt):
    cfg = phase_two_cfg(cityscapes_root, teacher_ckpt, teacher_ckpt)
    with pytest.raises(ValueError, match='not a phase-1 checkpoint'):
        build(cfg)


def test_another_teachers_weights_are_refused(cityscapes_root, phase_one,
                                              translator_ckpt, tmp_path):
    cfg, _ = phase_one
    torch.manual_seed(1)
    other = MMSKD_MODELS.build(cfg.model.teacher)
    other_ckpt = str(tmp_path / 'other_teacher.pth')
    torch.save(dict(state_dict=other.state_dict()), other_ckpt)
    cfg = phase_two_cfg(cityscapes_root, other_ckpt, translator_ckpt)
    with pytest.raises(ValueError, match='teacher weights differ'):
        build(cfg)


def test_a_teacher_without_weights_is_refused(cityscapes_root,
                                              translator_ckpt):
    cfg = phase_two_cfg(cityscapes_root, None, translator_ckpt)
    with pytest.raises(ValueError, match="this run from None"):
        build(cfg)


def test_another_teacher_model_is_refused(cityscapes_root, teacher_ckpt,
                                          translator_ckpt):
    # A wider teacher head: the checkpoint does not fit it, so load it
    # without a checkpoint; the architecture digest differs first.
    cfg = phase_two_cfg(cityscapes_root, None, translator_ckpt,
                        **{'model.teacher.decode_head.c1_channels': 8})
    with pytest.raises(ValueError, match='teacher models differ'):
        build(cfg)


def test_another_teacher_feature_is_refused(cityscapes_root, teacher_ckpt,
                                            translator_ckpt):
    cfg = phase_two_cfg(
        cityscapes_root, teacher_ckpt, translator_ckpt, **{
            'model.distiller.teacher_recorders.feature.source':
            'decode_head.c1_bottleneck'
        })
    with pytest.raises(
            ValueError, match="encoded the teacher's "
            "'decode_head.bottleneck'"):
        build(cfg)


def test_the_translator_connector_must_be_named_and_on_the_teacher_side(
        cityscapes_root, teacher_ckpt, translator_ckpt):
    cfg = phase_two_cfg(cityscapes_root, teacher_ckpt, translator_ckpt,
                        **{'model.translator_connector': 'encoder'})
    with pytest.raises(ValueError, match="add connectors=dict"):
        build(cfg)
    cfg = phase_two_cfg(
        cityscapes_root, teacher_ckpt, translator_ckpt, **{
            'model.distiller.loss_forward_mappings.loss_adapt.preds_S.'
            'connector':
            'translator'
        })
    with pytest.raises(ValueError, match='must encode one teacher'):
        build(cfg)


def test_phase_two_with_a_student_at_half_resolution(cityscapes_root,
                                                     teacher_ckpt,
                                                     translator_ckpt):
    """Phase 2 takes ``input_scales``: the student's features are at its
    own size and each term that pairs them with the teacher's code says how
    they align (here: upsampled to the code, ``resize_student``)."""
    cfg = phase_two_cfg(
        cityscapes_root, teacher_ckpt, translator_ckpt, **{
            'model.input_scales': dict(student=0.5, size_divisor=16),
        })
    algorithm = build(cfg)
    inputs, samples = one_batch(cfg, algorithm)
    with pytest.raises(ValueError, match='resize_student=True'):
        algorithm(inputs, samples, mode='loss')

    for term in ('loss_adapt', 'loss_aff'):
        cfg.model.distiller.distill_losses[term].resize_student = True
    algorithm = build(cfg)
    sizes = []
    algorithm.student.backbone.register_forward_pre_hook(
        lambda module, args: sizes.append(tuple(args[0].shape[-2:])))
    losses = algorithm(inputs, samples, mode='loss')
    assert sizes == [(IMAGE_SIZE[0] // 2, IMAGE_SIZE[1] // 2)]
    connectors = algorithm.distiller.connectors
    feat_S = algorithm.distiller.student_recorders.get_recorder(
        'feature').get_record_data()
    code = connectors['translator'](
        algorithm.distiller.teacher_recorders.get_recorder(
            'feature').get_record_data())
    assert feat_S.shape[-2:] == (IMAGE_SIZE[0] // 32, IMAGE_SIZE[1] // 32)
    assert code.shape[-2:] == (IMAGE_SIZE[0] // 16, IMAGE_SIZE[1] // 16)
    adapted = F.interpolate(
        connectors['feature_adapter'](feat_S),
        size=code.shape[-2:],
        mode='bilinear',
        align_corners=False)
    assert torch.allclose(
        losses['distill.loss_adapt'],
        KnowledgeAdaptationLoss(loss_weight=50)(adapted, code),
        rtol=1e-5)
    assert torch.isfinite(losses['distill.loss_aff'])

# Copyright (c) mmskd contributors. All rights reserved.
import copy
from unittest import mock

import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import MODELS, init_default_scope

from mmskd.models import StructuredDistill
from mmskd.models.losses import ChannelWiseDivergence
from mmskd.testing import CWD_LOGITS, tiny_cfg, write_teacher_checkpoint


def build(cfg) -> StructuredDistill:
    init_default_scope(cfg.default_scope)
    return MODELS.build(copy.deepcopy(cfg.model))


def one_batch(cfg, algorithm) -> tuple:
    from mmengine.registry import DATASETS
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    data = pseudo_collate([dataset[0], dataset[1]])
    data = algorithm.data_preprocessor(data, training=True)
    return data['inputs'], data['data_samples']


@pytest.fixture
def cfg(cityscapes_root):
    return tiny_cfg(CWD_LOGITS, cityscapes_root)


def test_builds_student_and_teacher_from_model_zoo_configs(cfg):
    algorithm = build(cfg)
    assert algorithm.student.backbone.depth == 18
    assert algorithm.student.decode_head.channels == 16
    assert algorithm.teacher.decode_head.channels == 32
    assert isinstance(algorithm.distiller.distill_losses['loss_cwd'],
                      ChannelWiseDivergence)
    assert not any(p.requires_grad for p in algorithm.teacher.parameters())


def test_teacher_stays_in_eval_mode(cfg):
    algorithm = build(cfg)
    algorithm.train()
    assert algorithm.student.training
    assert not any(m.training for m in algorithm.teacher.modules())
    # PSPHead's Dropout2d is what mmrazor leaves in train mode.
    assert not algorithm.teacher.decode_head.dropout.training


def test_loss_runs_teacher_in_tensor_mode_without_its_loss(cfg):
    algorithm = build(cfg)
    algorithm.train()
    inputs, samples = one_batch(cfg, algorithm)
    teacher_head_loss = mock.patch.object(
        algorithm.teacher.decode_head,
        'loss_by_feat',
        side_effect=AssertionError('the teacher computed a loss'))
    teacher_loss = mock.patch.object(
        algorithm.teacher,
        'loss',
        side_effect=AssertionError('the teacher computed a loss'))
    with teacher_head_loss, teacher_loss:
        losses = algorithm(inputs, samples, mode='loss')
    assert {'student.decode.loss_ce', 'student.aux.loss_ce',
            'distill.loss_cwd'} <= set(losses)
    student_logits = algorithm.distiller.student_recorders.get_recorder(
        'logits').get_record_data()
    teacher_logits = algorithm.distiller.teacher_recorders.get_recorder(
        'logits').get_record_data()
    expected = ChannelWiseDivergence(tau=1, loss_weight=5)(student_logits,
                                                           teacher_logits)
    assert torch.allclose(losses['distill.loss_cwd'], expected)
    assert not teacher_logits.requires_grad
    losses['distill.loss_cwd'].backward()
    assert algorithm.student.decode_head.conv_seg.weight.grad.abs().sum() > 0


def test_extract_feat_teacher_runs_backbone_only(cfg):
    cfg.model.teacher_forward = 'extract_feat'
    recorder = dict(type='ModuleOutputs', source='backbone')
    cfg.model.distiller.teacher_recorders = dict(logits=recorder)
    cfg.model.distiller.student_recorders = dict(logits=recorder)
    cfg.model.distiller.distill_losses.loss_cwd.resize_student = True
    cfg.model.distiller.connectors = dict(
        up=dict(type='mmrazor.ConvModuleConnector', in_channel=64,
                out_channel=128, norm_cfg=None, act_cfg=None))
    cfg.model.distiller.loss_forward_mappings.loss_cwd.preds_S.connector = \
        'up'
    cfg.model.distiller.loss_forward_mappings.loss_cwd.preds_S.data_idx = 3
    cfg.model.distiller.loss_forward_mappings.loss_cwd.preds_T.data_idx = 3
    algorithm = build(cfg)
    inputs, samples = one_batch(cfg, algorithm)
    with mock.patch.object(
            algorithm.teacher.decode_head, 'forward',
            side_effect=AssertionError('the head should not run')):
        losses = algorithm(inputs, samples, mode='loss')
    assert losses['distill.loss_cwd'] > 0


def test_predict_uses_the_student(cfg):
    algorithm = build(cfg)
    algorithm.eval()
    inputs, samples = one_batch(cfg, algorithm)
    with mock.patch.object(
            algorithm.teacher, 'forward',
            side_effect=AssertionError('validation ran the teacher')):
        results = algorithm(inputs, samples, mode='predict')
    assert len(results) == 2
    assert results[0].pred_sem_seg.data.shape[-2:] == (64, 128)


def test_wrong_recorder_source_names_the_fix(cfg):
    cfg.model.distiller.student_recorders.logits.source = \
        'decode_head.conv_sg'
    with pytest.raises(ValueError) as error:
        build(cfg)
    message = str(error.value)
    assert "student_recorders['logits']" in message
    assert "'decode_head.conv_sg'" in message
    assert "Did you mean 'decode_head.conv_seg'" in message


def test_missing_teacher_checkpoint_names_the_fix(cfg, tmp_path):
    cfg.model.teacher_ckpt = str(tmp_path / 'nowhere.pth')
    with pytest.raises(FileNotFoundError) as error:
        build(cfg)
    assert 'nowhere.pth' in str(error.value)
    assert 'model.teacher_ckpt' in str(error.value)


def test_unreachable_teacher_url_names_the_cache_path(cfg):
    cfg.model.teacher_ckpt = 'http://127.0.0.1:9/teacher_20200101-abc.pth'
    with pytest.raises(RuntimeError) as error:
        build(cfg)
    assert 'hub/checkpoints/teacher_20200101-abc.pth' in str(error.value)


def test_teacher_checkpoint_is_loaded_and_kept(cfg, tmp_path):
    path = write_teacher_checkpoint(cfg, str(tmp_path / 'teacher.pth'))
    saved = torch.load(path)['state_dict']
    cfg.model.teacher_ckpt = path
    torch.manual_seed(1)
    algorithm = build(cfg)
    algorithm.init_weights()
    for name, value in algorithm.teacher.state_dict().items():
        assert torch.equal(value, saved[name]), name


def test_checkpoint_of_another_model_is_refused(cfg, tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'foo.weight': torch.zeros(3)}), path)
    cfg.model.teacher_ckpt = path
    with pytest.raises(ValueError, match='does not fit the teacher'):
        build(cfg)


def test_invalid_teacher_forward(cfg):
    cfg.model.teacher_forward = 'loss'
    with pytest.raises(ValueError, match='teacher_forward'):
        build(cfg)


def test_unsupported_model_family_is_refused(cfg):
    from mmengine.model import BaseModel

    class PoseEstimator(BaseModel):  # neither a segmentor nor a detector

        def forward(self, *args, **kwargs):
            pass

    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.pop('_scope_')
    model_cfg.pop('type')
    model_cfg.teacher = PoseEstimator()
    init_default_scope(cfg.default_scope)
    with pytest.raises(TypeError, match='PoseEstimator, which mmskd does '
                       'not distil: it supports mmseg segmentor and mmdet'):
        StructuredDistill(**model_cfg)


def test_teacher_from_another_task_is_refused(cfg):
    cfg.model.teacher = dict(
        cfg_path='mmdet::retinanet/retinanet_r18_fpn_1x_coco.py',
        backbone=dict(init_cfg=None))
    with pytest.raises(TypeError, match='same task. Point `architecture` '
                       'and `teacher` at configs of one task'):
        build(cfg)


def untrained_teacher_warnings(cfg) -> list:
    """The warnings of building ``cfg.model`` about an untrained teacher."""
    with mock.patch('mmskd.models.algorithms.teacher_checks.print_log'
                    ) as print_log:
        build(cfg)
    return [call.args[0] for call in print_log.call_args_list
            if 'untrained' in call.args[0]]


def test_a_teacher_without_weights_is_warned_about_in_one_line(
        cfg, tmp_path):
    assert cfg.model.teacher_ckpt is None  # as the tiny test configs have it
    warning, = untrained_teacher_warnings(cfg)
    assert '\n' not in warning
    assert warning.startswith('model.teacher_ckpt is not set')
    assert '--cfg-options model.teacher_ckpt=' in warning
    path = write_teacher_checkpoint(cfg, str(tmp_path / 'teacher.pth'))
    # A checkpoint, or a teacher config that loads the whole model itself.
    cfg.model.teacher_ckpt = path
    assert untrained_teacher_warnings(cfg) == []
    cfg.model.teacher_ckpt = None
    cfg.model.teacher.init_cfg = dict(type='Pretrained', checkpoint=path)
    assert untrained_teacher_warnings(cfg) == []


def test_class_count_mismatch_names_the_fix(cfg):
    """A CamVid student (11 classes) under a Cityscapes teacher (19)."""
    cfg.model.architecture.decode_head.num_classes = 11
    cfg.model.architecture.auxiliary_head.num_classes = 11
    with pytest.raises(ValueError) as error:
        build(cfg)
    message = str(error.value)
    assert 'student predicts 11 classes but the teacher 19' in message
    assert 'model.architecture.decode_head.num_classes=19' in message
    assert 'configs/camvid/' in message

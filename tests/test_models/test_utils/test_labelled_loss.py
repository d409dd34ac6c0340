# Copyright (c) mmskd contributors. All rights reserved.
"""The student's task loss leaves unlabelled samples out, exactly; the
distillation terms do not."""
import copy
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import MODELS, init_default_scope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401
from mmskd.models.utils import labelled_loss
from mmskd.models.utils.labelled_loss import check_splittable
from mmskd.testing import (CONFIG_ROOT, CWD_LOGITS, tiny_cfg,
                           write_cityscapes_with_extra, write_nyu_like)


@pytest.fixture(scope='module')
def cfg(tmp_path_factory):
    root = write_cityscapes_with_extra(
        str(tmp_path_factory.mktemp('cityscapes')), num_images=2)
    return tiny_cfg(CWD_LOGITS, root)


@pytest.fixture(scope='module')
def samples(cfg) -> dict:
    """Two labelled and two unlabelled samples, before preprocessing."""
    init_default_scope('mmseg')
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    unlabelled = DATASETS.build(
        dict(
            type='UnlabelledImageDataset',
            data_root=cfg.train_dataloader.dataset.data_root,
            data_prefix=dict(img_path='leftImg8bit/train_extra'),
            metainfo_from='CityscapesDataset',
            pipeline=cfg.train_dataloader.dataset.pipeline))
    return dict(L0=labelled[0], L1=labelled[1], U0=unlabelled[0],
                U1=unlabelled[1])


@pytest.fixture
def algorithm(cfg):
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(cfg.model))
    # BN on running statistics and no dropout: one image's forward is then
    # independent of the rest of the batch, so a batch of the labelled
    # images alone is the exact reference.
    return model.eval()


def batch(algorithm, samples, names):
    data = pseudo_collate([copy.deepcopy(samples[n]) for n in names])
    data = algorithm.data_preprocessor(data, training=True)
    return data['inputs'], data['data_samples']


def student_terms(losses: dict) -> dict:
    return {k: v for k, v in losses.items() if k.startswith('student.')}


def gradients(algorithm, loss) -> dict:
    algorithm.zero_grad()
    loss.backward()
    return {
        name: p.grad.clone()
        for name, p in algorithm.student.named_parameters()
        if p.grad is not None
    }


def task_loss(losses: dict) -> torch.Tensor:
    return sum(v for k, v in student_terms(losses).items() if 'loss' in k)


def test_task_loss_is_that_of_the_labelled_images_alone(algorithm, samples):
    mixed = algorithm.loss(*batch(algorithm, samples, ['U0', 'L0', 'U1',
                                                       'L1']))
    alone = algorithm.loss(*batch(algorithm, samples, ['L0', 'L1']))
    assert set(student_terms(mixed)) == set(student_terms(alone)) == {
        'student.decode.loss_ce', 'student.decode.acc_seg',
        'student.aux.loss_ce', 'student.aux.acc_seg'
    }
    for key, value in student_terms(alone).items():
        torch.testing.assert_close(mixed[key], value, msg=key)
    mixed_grads = gradients(algorithm, task_loss(mixed))
    alone_grads = gradients(algorithm, task_loss(alone))
    assert mixed_grads.keys() == alone_grads.keys() and alone_grads
    for name, grad in alone_grads.items():
        torch.testing.assert_close(mixed_grads[name], grad, msg=name)


def test_placeholder_labels_would_dilute_the_loss(algorithm, samples):
    """What the split prevents (and what makes the test above fail without
    it): the stock loss over the placeholder labels divides by their
    pixels too."""
    inputs, data_samples = batch(algorithm, samples, ['U0', 'L0', 'U1',
                                                      'L1'])
    stock = algorithm.student.loss(inputs, data_samples)
    alone = algorithm.loss(*batch(algorithm, samples, ['L0', 'L1']))
    ratio = stock['decode.loss_ce'] / alone['student.decode.loss_ce']
    torch.testing.assert_close(ratio, torch.tensor(0.5))


def test_distillation_terms_see_the_unlabelled_images(algorithm, samples):
    mixed = algorithm.loss(*batch(algorithm, samples, ['U0', 'L0', 'U1',
                                                       'L1']))
    alone = algorithm.loss(*batch(algorithm, samples, ['L0', 'L1']))
    unl = algorithm.loss(*batch(algorithm, samples, ['U0', 'U1']))
    assert unl['distill.loss_cwd'] > 0
    # The CWD term is a mean over images: the batch's is the average of its
    # two halves'.
    torch.testing.assert_close(
        mixed['distill.loss_cwd'],
        (alone['distill.loss_cwd'] + unl['distill.loss_cwd']) / 2)
    assert not torch.isclose(mixed['distill.loss_cwd'],
                             alone['distill.loss_cwd'])
    grads = gradients(algorithm, unl['distill.loss_cwd'])
    assert grads['decode_head.conv_seg.weight'].abs().sum() > 0


def test_batch_without_labels_gives_connected_zeros(algorithm, samples):
    losses = algorithm.loss(*batch(algorithm, samples, ['U0', 'U1']))
    labelled = algorithm.loss(*batch(algorithm, samples, ['L0']))
    assert set(student_terms(losses)) == set(student_terms(labelled))
    for key, value in student_terms(losses).items():
        assert value.item() == 0, key
    # Every parameter that a labelled batch trains gets a (zero) gradient,
    # so DDP reduces the same parameters on every process.
    zero_grads = gradients(algorithm, task_loss(losses))
    trained = gradients(algorithm, task_loss(labelled))
    assert zero_grads.keys() == trained.keys()
    assert all(not grad.any() for grad in zero_grads.values())


def test_labelled_batches_take_the_stock_loss(algorithm, samples):
    with mock.patch.object(
            labelled_loss, 'split_loss',
            side_effect=AssertionError('split a labelled batch')):
        losses = algorithm.loss(*batch(algorithm, samples, ['L0', 'L1']))
    inputs, data_samples = batch(algorithm, samples, ['L0', 'L1'])
    stock = algorithm.student.loss(inputs, data_samples)
    torch.testing.assert_close(losses['student.decode.loss_ce'],
                               stock['decode.loss_ce'])


def test_the_student_loss_is_restored(algorithm, samples):
    algorithm.loss(*batch(algorithm, samples, ['U0', 'L0']))
    assert 'loss' not in vars(algorithm.student)


def test_label_recorder_sees_the_whole_batch(cfg, samples):
    """IFVD's label recorder gets every image's label at index 0, the
    unlabelled ones as ignore_index."""
    cfg = copy.deepcopy(cfg)
    cfg.model.distiller.student_recorders.gt_label = dict(
        type='MethodOutputs',
        source='mmseg.models.decode_heads.decode_head.BaseDecodeHead.'
        '_stack_batch_gt')
    init_default_scope(cfg.default_scope)
    algorithm = MODELS.build(cfg.model).eval()
    algorithm.loss(*batch(algorithm, samples, ['U0', 'L0']))
    labels = algorithm.distiller.get_record('gt_label', True, 0)
    assert labels.shape[0] == 2
    assert (labels[0] == 255).all() and (labels[1] != 255).any()


def test_detectors_are_refused():
    from mmdet.models.detectors import BaseDetector

    class Detector(BaseDetector):
        loss = predict = _forward = extract_feat = lambda *args: None

    with pytest.raises(TypeError) as error:
        check_splittable(Detector())
    assert 'unlabelled images are supported for segmentors and depth ' \
        'estimators; the student is a Detector' in str(error.value)


def test_heads_with_their_own_loss_are_refused(algorithm):
    head_class = type(algorithm.student.decode_head)
    expected = f'decode head {head_class.__name__} overrides loss'
    with mock.patch.object(head_class, 'loss', lambda *args: {}):
        with pytest.raises(TypeError, match=expected):
            check_splittable(algorithm.student)


def test_cascade_segmentors_are_refused():
    from mmseg.models.segmentors import CascadeEncoderDecoder
    student = CascadeEncoderDecoder.__new__(CascadeEncoderDecoder)
    with pytest.raises(TypeError, match='CascadeEncoderDecoder computes'):
        check_splittable(student)


def test_depth_estimators_split_the_same_way(tmp_path):
    """A depth student (DepthBinHead on mmseg's DepthEstimator) scores the
    labelled images of a batch with placeholder depth maps alone."""
    root = write_nyu_like(str(tmp_path / 'nyu'))
    cfg = Config.fromfile(
        f'{CONFIG_ROOT}/depth/depthbin_r18-d8_4xb3-20k_nyu-480x480.py')
    cfg.merge_from_dict({
        'model.pretrained': None,
        'model.data_preprocessor.size': (32, 32),
        'model.backbone.stem_channels': 16,
        'model.backbone.base_channels': 8,
        'model.decode_head.in_channels': 64,
        'model.decode_head.channels': 16,
        'model.decode_head.num_bins': 16,
        'train_dataloader.dataset.data_root': root,
        'train_dataloader.dataset.pipeline.4.crop_size': (32, 32),
    })
    init_default_scope('mmseg')
    torch.manual_seed(0)
    student = MODELS.build(cfg.model).eval()
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    unlabelled = DATASETS.build(
        dict(
            type='UnlabelledImageDataset',
            data_root=root,
            data_prefix=dict(img_path='images/train'),
            metainfo_from=dict(type='NYUDataset'),
            pipeline=cfg.train_dataloader.dataset.pipeline))

    def depth_batch(items):
        data = student.data_preprocessor(pseudo_collate(items), True)
        return data['inputs'], data['data_samples']

    mixed_inputs, mixed_samples = depth_batch(
        [unlabelled[0], labelled[0], unlabelled[1], labelled[1]])
    split = mock.patch.object(
        labelled_loss, 'split_loss', wraps=labelled_loss.split_loss)
    with split as spy, labelled_loss.labelled_task_loss(student,
                                                        mixed_samples):
        mixed = student(mixed_inputs, mixed_samples, mode='loss')
    assert spy.called
    alone = student.loss(
        mixed_inputs[[1, 3]], [mixed_samples[1], mixed_samples[3]])
    assert set(mixed) == set(alone) and alone
    for key, value in alone.items():
        torch.testing.assert_close(mixed[key], value, msg=key)

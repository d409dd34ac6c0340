# Copyright (c) mmskd contributors. All rights reserved.
"""MultiTaskEncoderDecoder: each task's loss is its head's, weighted as
configured; auxiliary heads take their task head's loss; predictions are
cropped, unflipped and resized; bad configurations are named."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmskd  # noqa: F401  (registers the modules)

BN = dict(type='BN')
SIZE = 32
# An FCN head on the encoder's second output (8 channels at width 0.25).
FCN_AUXILIARY = dict(
    type='FCNHead',
    in_channels=8,
    in_index=1,
    channels=4,
    num_convs=1,
    concat_input=False,
    norm_cfg=BN)


def heads(channels=(8, 8, 24, 80)):
    common = dict(
        in_channels=channels[-1],
        in_index=3,
        channels=8,
        norm_cfg=BN,
        dropout_ratio=0.0,
        align_corners=False)
    return dict(
        seg=dict(
            type='FCNHead',
            num_convs=1,
            concat_input=False,
            num_classes=4,
            **common),
        depth=dict(
            type='DepthBinHead',
            _scope_='mmskd',
            pool_scales=(),
            num_bins=8,
            min_depth=0.3,
            **common),
        normals=dict(
            type='SurfaceNormalHead',
            _scope_='mmskd',
            num_convs=1,
            concat_input=False,
            **common))


def build(**kwargs):
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        data_preprocessor=dict(
            type='MultiTaskDataPreProcessor',
            _scope_='mmskd',
            mean=[0, 0, 0],
            std=[1, 1, 1],
            size=(SIZE, SIZE)),
        backbone=dict(
            type='MobileNetV2',
            widen_factor=0.25,
            strides=(1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 2, 2, 4, 4),
            out_indices=(1, 2, 4, 6),
            norm_cfg=BN),
        decode_heads=heads())
    cfg.update(kwargs)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg)


def samples(count=2, seed=0):
    generator = torch.Generator().manual_seed(seed)
    batch = []
    for _ in range(count):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(
            data=torch.randint(0, 4, (1, SIZE, SIZE), generator=generator))
        sample.gt_depth_map = PixelData(
            data=torch.rand(1, SIZE, SIZE, generator=generator) * 5 + 0.5)
        sample.gt_normals = PixelData(
            data=F.normalize(
                torch.randn(3, SIZE, SIZE, generator=generator), dim=0))
        sample.set_metainfo(
            dict(img_shape=(SIZE, SIZE), ori_shape=(SIZE, SIZE)))
        batch.append(sample)
    return batch


def inputs(count=2):
    return torch.rand(
        count, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


def head_losses(model, images, batch):
    """Each task head's own loss on the shared features."""
    features = model.extract_feat(images)
    return {
        task: head.loss_by_feat(head(features), batch)
        for task, head in model.decode_heads.items()
    }


def test_joint_loss_is_the_sum_of_the_task_heads_losses():
    model = build().eval()  # eval: no dropout or BN updates between calls
    images, batch = inputs(), samples()
    losses = model.loss(images, batch)
    expected = head_losses(model, images, batch)
    assert set(losses) == {
        'seg.loss_ce', 'seg.acc_seg', 'depth.loss_depth_bin',
        'normals.loss_normal_cos'
    }
    torch.testing.assert_close(losses['seg.loss_ce'],
                               expected['seg']['loss_ce'])
    torch.testing.assert_close(losses['depth.loss_depth_bin'],
                               expected['depth']['loss_depth_bin'])
    torch.testing.assert_close(losses['normals.loss_normal_cos'],
                               expected['normals']['loss_normal_cos'])


def test_fixed_weights_scale_losses_not_metrics():
    model = build(
        task_weights=dict(
            type='FixedTaskWeights',
            _scope_='mmskd',
            weights=dict(seg=2.0, normals=0.5))).eval()
    plain = build().eval()
    images, batch = inputs(), samples()
    weighted, unweighted = model.loss(images, batch), plain.loss(images, batch)
    torch.testing.assert_close(weighted['seg.loss_ce'],
                               2 * unweighted['seg.loss_ce'])
    torch.testing.assert_close(weighted['seg.acc_seg'],
                               unweighted['seg.acc_seg'])
    torch.testing.assert_close(weighted['depth.loss_depth_bin'],
                               unweighted['depth.loss_depth_bin'])
    torch.testing.assert_close(weighted['normals.loss_normal_cos'],
                               0.5 * unweighted['normals.loss_normal_cos'])


def test_uncertainty_weights_follow_kendall():
    """exp(-s) L + s/2 for classification (segmentation, depth as bins),
    exp(-s) L / 2 + s/2 for regression (normals) (Kendall et al. eqs. 10
    and 7, s = log sigma^2)."""
    model = build(
        task_weights=dict(type='UncertaintyTaskWeights',
                          _scope_='mmskd')).eval()
    plain = build().eval()
    log_variances = dict(seg=0.4, depth=-0.3, normals=1.1)
    with torch.no_grad():
        for task, value in log_variances.items():
            model.task_weights.log_variances[task].fill_(value)
    images, batch = inputs(), samples()
    losses, reference = model.loss(images, batch), plain.loss(images, batch)
    for task, name, scale in (('seg', 'loss_ce', 1.0),
                              ('depth', 'loss_depth_bin', 1.0),
                              ('normals', 'loss_normal_cos', 0.5)):
        s = log_variances[task]
        expected = scale * math.exp(-s) * reference[f'{task}.{name}'].item()
        assert losses[f'{task}.{name}'].item() == pytest.approx(
            expected, rel=1e-5)
        assert losses[f'{task}.loss_uncertainty'].item() == pytest.approx(
            s / 2)
    total = sum(value for key, value in losses.items() if 'loss' in key)
    total.backward()
    gradient = model.task_weights.log_variances['seg'].grad.item()
    # d/ds (exp(-s) L + s/2) = -exp(-s) L + 1/2
    assert gradient == pytest.approx(
        -math.exp(-0.4) * reference['seg.loss_ce'].item() + 0.5, rel=1e-5)


def test_a_regression_task_is_named_among_the_tasks():
    weights = dict(type='UncertaintyTaskWeights', _scope_='mmskd')
    model = build(task_weights=dict(weights, regression=('depth', )))
    assert model.task_weights.regression == ('depth', )
    with pytest.raises(ValueError, match=r"regression has tasks \['edges'\]"):
        build(task_weights=dict(weights, regression=('edges', )))


def test_auxiliary_heads_take_their_task_heads_loss():
    auxiliary = dict(FCN_AUXILIARY, dropout_ratio=0.0, loss_weight=0.1)
    model = build(
        auxiliary_heads=dict(depth=auxiliary, seg=[auxiliary, auxiliary
                                                   ])).eval()
    images, batch = inputs(), samples()
    losses = model.loss(images, batch)
    features = model.extract_feat(images)
    depth_aux = model.auxiliary_heads['depth'][0]
    # Built with the depth head's width: one logit per bin.
    assert depth_aux.conv_seg.out_channels == 8
    expected = model.decode_heads['depth'].loss_by_feat(
        depth_aux(features), batch)['loss_depth_bin']
    torch.testing.assert_close(losses['aux_depth_0.loss_depth_bin'],
                               0.1 * expected)
    # The segmentation auxiliary heads: mmseg's cross-entropy (ignore 255)
    # of their logits resized to the labels, at weight 0.1.
    logits = F.interpolate(
        model.auxiliary_heads['seg'][1](features),
        size=(SIZE, SIZE),
        mode='bilinear',
        align_corners=False)
    labels = torch.stack([s.gt_sem_seg.data[0] for s in batch])
    torch.testing.assert_close(
        losses['aux_seg_1.loss_ce'],
        0.1 * F.cross_entropy(logits, labels, ignore_index=255))
    assert 'aux_normals_0.loss_normal_cos' not in losses


def predicted(model, sample):
    """One image's prediction and its maps before post-processing."""
    image = inputs(1)
    with torch.no_grad():
        [result] = model.predict(image, [sample])
        maps = model.encode_decode(image, [sample.metainfo])
    return result, maps


def unflipped(task_map, dims, mirrored=()):
    task_map = task_map.flip(dims)
    for axis in mirrored:
        task_map[:, axis] *= -1
    return task_map


@pytest.mark.parametrize('direction,dims,mirrored', [
    ('horizontal', (3, ), (0, )),
    ('vertical', (2, ), (1, )),
    ('diagonal', (2, 3), (0, 1)),
])
def test_predictions_are_cropped_unflipped_and_resized(
        direction, dims, mirrored):
    """The test-time pad of the image (img_padding_size) is cropped, not
    the training one; every flip is undone, the normals mirrored."""
    tasks = heads()
    model = build(decode_heads=dict(seg=tasks['seg'],
                                    normals=tasks['normals'])).eval()
    result, maps = predicted(
        model,
        SegDataSample(
            metainfo=dict(
                img_shape=(SIZE, SIZE),
                ori_shape=(40, 48),
                padding_size=[0, 0, 0, 0],
                img_padding_size=[0, 8, 0, 12],
                flip=True,
                flip_direction=direction)))

    def expected(task):
        """The unpadded, unflipped map, resized to the original image."""
        return F.interpolate(
            unflipped(maps[task][:, :, :20, :24], dims,
                      mirrored if task == 'normals' else ()),
            size=(40, 48),
            mode='bilinear',
            align_corners=False)[0]

    normals = result.pred_normals.data
    assert normals.shape == (3, 40, 48)
    torch.testing.assert_close(normals.norm(dim=0), torch.ones(40, 48))
    torch.testing.assert_close(normals, F.normalize(expected('normals'),
                                                    dim=0))
    assert torch.equal(result.pred_sem_seg.data,
                       expected('seg').argmax(0, keepdim=True))


def test_depth_is_cropped_and_unflipped_at_its_size():
    result, maps = predicted(
        build().eval(),
        SegDataSample(
            metainfo=dict(
                img_shape=(SIZE, SIZE),
                ori_shape=(20, 24),
                padding_size=[0, 8, 0, 12],
                flip=True,
                flip_direction='horizontal')))
    torch.testing.assert_close(
        result.pred_depth_map.data,
        unflipped(maps['depth'][:, :, :20, :24], (3, ))[0])


def test_depth_of_a_resized_test_image_is_refused():
    sample = SegDataSample(
        metainfo=dict(
            img_shape=(SIZE, SIZE),
            ori_shape=(2 * SIZE, 2 * SIZE),
            img_path='room.jpg'))
    with pytest.raises(ValueError, match='Remove the Resize'):
        predicted(build().eval(), sample)


def test_tensor_mode_gives_each_heads_output():
    model = build().eval()
    with torch.no_grad():
        outputs = model(inputs(1), mode='tensor')
    assert {task: tuple(out.shape[:2]) for task, out in outputs.items()} == \
        dict(seg=(1, 4), depth=(1, 8), normals=(1, 3))


@pytest.mark.parametrize('kwargs,match', [
    (dict(decode_heads=dict(edges=heads()['seg'])), r"tasks \['edges'\]"),
    (dict(decode_heads={}), 'at least one task'),
    (dict(
        decode_heads=dict(seg=heads()['seg']),
        auxiliary_heads=dict(depth=heads()['seg'])),
     r"\['depth'\] that decode_heads does not"),
    (dict(test_cfg=dict(mode='slide')), "mode='whole'"),
    (dict(
        task_weights=dict(
            type='FixedTaskWeights', _scope_='mmskd', weights=dict(edge=1))),
     r"\['edge'\] that the network does not have"),
])
def test_bad_configurations_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_auxiliary_head_of_another_width_is_refused():
    auxiliary = dict(FCN_AUXILIARY, num_classes=5)
    with pytest.raises(ValueError, match='leave out its num_classes'):
        build(auxiliary_heads=dict(seg=auxiliary))

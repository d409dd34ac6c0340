# Copyright (c) mmskd contributors. All rights reserved.
"""UShapeHead: the decoder written out by hand, and the task head it
serves."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import MODELS as SEG_MODELS
from mmseg.structures import SegDataSample

from mmskd.models import UShapeHead

BN = dict(type='BN')


def u_shape(head=None):
    torch.manual_seed(0)
    return UShapeHead(
        in_channels=(4, 6, 8),
        in_index=(0, 1, 3),
        channels=5,
        norm_cfg=BN,
        head=head or dict(
            type='FCNHead',
            in_channels=99,  # replaced by the decoder's width
            channels=7,
            num_convs=1,
            concat_input=False,
            num_classes=3,
            norm_cfg=BN)).eval()


def outputs():
    generator = torch.Generator().manual_seed(1)
    return [
        torch.randn(2, 4, 16, 16, generator=generator),
        torch.randn(2, 6, 8, 8, generator=generator),
        torch.randn(2, 2, 8, 8, generator=generator),  # not taken
        torch.randn(2, 8, 4, 4, generator=generator),
    ]


def test_decoder_is_the_u_net_written_by_hand():
    head = u_shape()
    features = outputs()
    with torch.no_grad():
        # Deepest first: 1x1 conv, then up to each shallower output.
        x = head.lateral(features[3])
        x = F.interpolate(x, size=(8, 8), mode='bilinear')
        x = head.fusions[0](torch.cat([x, features[1]], 1))
        x = F.interpolate(x, size=(16, 16), mode='bilinear')
        x = head.fusions[1](torch.cat([x, features[0]], 1))
        expected = head.head.cls_seg(head.head.convs(x))
        assert torch.equal(head(features), expected)
    assert head.num_classes == 3 and head.conv_seg.out_channels == 3
    assert head.head.in_channels == 5


def test_loss_and_prediction_are_the_task_heads_on_the_fused_map():
    head = u_shape()
    features = outputs()
    samples = [
        SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 3, (1, 32, 32))))
        for _ in range(2)
    ]
    with torch.no_grad():
        fused = head.decode(features)
        torch.testing.assert_close(
            head.loss(features, samples, dict())['loss_ce'],
            head.head.loss(fused, samples, dict())['loss_ce'])
        metas = [dict(img_shape=(32, 32))] * 2
        assert torch.equal(
            head.predict(features, metas, dict()),
            head.head.predict(fused, metas, dict()))


def test_outputs_and_widths_must_pair():
    with pytest.raises(ValueError, match='one channel count each'):
        UShapeHead(
            in_channels=(4, 6), in_index=(0, 1, 2), channels=5, head=dict())


def test_in_a_network_with_an_auxiliary_module():
    """A depth-bin head behind the decoder, built from a config in mmskd's
    scope, with the basic auxiliary module on the same task: both losses
    are the bins' cross-entropy; the decoder and the network follow the
    head's align_corners."""
    bn = dict(type='BN')
    cfg = dict(
        type='MultiTaskEncoderDecoder',
        backbone=dict(
            type='MobileNetV2',
            widen_factor=0.25,
            strides=(1, 2, 2, 1, 1, 1, 1),
            dilations=(1, 1, 1, 2, 2, 4, 4),
            out_indices=(1, 2, 4, 6),
            norm_cfg=bn),
        decode_heads=dict(
            depth=dict(
                type='UShapeHead',
                _scope_='mmskd',
                in_channels=(8, 8, 24, 80),
                in_index=(0, 1, 2, 3),
                channels=8,
                norm_cfg=bn,
                head=dict(
                    type='DepthBinHead',
                    _scope_='mmskd',
                    channels=8,
                    pool_scales=(),
                    num_bins=6,
                    min_depth=0.3,
                    norm_cfg=bn,
                    align_corners=True))),
        auxiliary_heads=dict(
            depth=dict(
                type='AuxiliaryModuleHead',
                _scope_='mmskd',
                in_channels=[8, 8, 24, 80],
                in_index=(0, 1, 2, 3),
                channels=4,
                norm_cfg=bn)))
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmseg'):
        model = SEG_MODELS.build(cfg)
    head = model.decode_heads['depth']
    assert head.align_corners is True and head.out_channels == 1
    assert model.auxiliary_heads['depth'][0].conv_seg.out_channels == 6
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            gt_depth_map=PixelData(data=torch.rand(1, 32, 32) * 4 + 0.5))
        sample.set_metainfo(dict(img_shape=(32, 32), ori_shape=(32, 32)))
        samples.append(sample)
    images = torch.rand(2, 3, 32, 32)
    losses = model.loss(images, samples)
    assert {'depth.loss_depth_bin', 'aux_depth_0.loss_depth_bin'} == {
        key
        for key in losses if 'loss' in key
    }
    assert all(torch.isfinite(value) for value in losses.values())
    model.eval()
    with torch.no_grad():
        [result] = model.predict(images[:1], samples[:1])
    assert result.pred_depth_map.shape == (32, 32)

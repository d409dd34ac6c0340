# Copyright (c) mmskd contributors. All rights reserved.
"""SurfaceNormalHead and CosineNormalLoss: the loss written out by hand over
the pixels with a true normal, unit predictions, and the refusals."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmskd.models import CosineNormalLoss, SurfaceNormalHead


def head():
    torch.manual_seed(0)
    return SurfaceNormalHead(
        in_channels=4,
        channels=4,
        num_convs=1,
        concat_input=False,
        norm_cfg=dict(type='BN'))


def sample(normals):
    data_sample = SegDataSample()
    data_sample.gt_normals = PixelData(data=normals)
    return data_sample


def test_cosine_loss_by_hand():
    """Two valid pixels at 0 and 60 degrees, one without a normal:
    ((1 - 1) + (1 - 0.5)) / 2."""
    up = torch.tensor([0.0, -1.0, 0.0])
    tilted = torch.tensor([math.sin(math.pi / 3), -0.5, 0.0])
    prediction = torch.stack([up, up, -up], 1).reshape(1, 3, 1, 3)
    target = torch.stack([up, tilted, up], 1).reshape(1, 3, 1, 3)
    valid = torch.tensor([True, True, False]).reshape(1, 1, 1, 3)
    loss = CosineNormalLoss(loss_weight=2.0)(prediction, target, valid)
    assert loss.item() == pytest.approx(2.0 * 0.25)


def test_head_loss_reads_the_normals_at_their_size():
    model = head().eval()
    logits = torch.randn(2, 3, 4, 4)
    target = F.normalize(torch.randn(2, 3, 8, 8), dim=1)
    target[0, :, :2] = 0  # no normal in the first image's top rows
    losses = model.loss_by_feat(logits, [sample(t) for t in target])
    prediction = F.normalize(
        F.interpolate(logits, size=(8, 8), mode='bilinear'), dim=1)
    cosine = (prediction * target).sum(1)
    valid = target.norm(dim=1) > 0.5
    assert set(losses) == {'loss_normal_cos'}
    torch.testing.assert_close(losses['loss_normal_cos'],
                               (1 - cosine[valid]).mean())


def test_prediction_is_unit_at_the_input_size():
    model = head().eval()
    with torch.no_grad():
        normals = model.predict([torch.randn(1, 4, 4, 4)] * 4,
                                [dict(img_shape=(16, 12))], dict())
    assert normals.shape == (1, 3, 16, 12)
    torch.testing.assert_close(normals.norm(dim=1), torch.ones(1, 16, 12))


def test_batch_without_normals_gives_zero_connected_loss():
    model = head()
    logits = torch.randn(1, 3, 4, 4, requires_grad=True)
    losses = model.loss_by_feat(logits, [sample(torch.zeros(3, 4, 4))])
    assert losses['loss_normal_cos'].item() == 0
    losses['loss_normal_cos'].backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))


def test_missing_normals_and_other_widths_are_named():
    with pytest.raises(KeyError, match='LoadSurfaceNormals'):
        head().loss_by_feat(torch.randn(1, 3, 4, 4), [SegDataSample()])
    with pytest.raises(TypeError, match='remove num_classes=4'):
        SurfaceNormalHead(in_channels=4, channels=4, num_classes=4)

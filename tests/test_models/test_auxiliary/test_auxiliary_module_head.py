# Copyright (c) mmskd contributors. All rights reserved.
"""AuxiliaryModuleHead (thesis ch. 6, eq. 6.1): the hierarchy against a
forward written out by hand; it and a searched module (AuxiliaryCellsHead):
their loss in training, and nothing of them at test time: the deployable
checkpoint is the plain network's."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from mmskd.analysis.complexity import model_complexity
from mmskd.testing import REPO, load_tool

STUDENT = osp.join(REPO, 'configs/demo/pspnet_r18-d8_w8_scenes-128x128.py')
# The demo student's ResNet-18 at 1/8 width: its four stages' channels.
STAGES = [8, 16, 32, 64]


def aux_module(adaptor_kernel: int = 1) -> dict:
    return dict(
        type='AuxiliaryModuleHead',
        _scope_='mmskd',
        in_channels=STAGES,
        in_index=[0, 1, 2, 3],
        channels=4,
        adaptor_kernel=adaptor_kernel,
        num_classes=19,
        dropout_ratio=0,
        norm_cfg=dict(type='BN'),
        align_corners=False)


@pytest.mark.parametrize('adaptor_kernel', [1, 3])
def test_the_hierarchy_is_eq_6_1(adaptor_kernel):
    init_default_scope('mmseg')
    torch.manual_seed(0)
    head = MODELS.build(aux_module(adaptor_kernel)).eval()
    stages = [
        torch.randn(2, 8, 32, 32),
        torch.randn(2, 16, 16, 16),
        torch.randn(2, 32, 16, 16),  # dilated: the same size
        torch.randn(2, 64, 16, 16)
    ]

    def adaptor(index, x):
        conv, bn = head.adaptors[index].conv, head.adaptors[index].bn
        x = F.conv2d(x, conv.weight, conv.bias, padding=adaptor_kernel // 2)
        return (x - bn.running_mean[None, :, None, None]) / torch.sqrt(
            bn.running_var[None, :, None, None] + bn.eps) * \
            bn.weight[None, :, None, None] + bn.bias[None, :, None, None]

    h = adaptor(0, stages[0])
    for index in (1, 2, 3):
        h = F.interpolate(
            h,
            size=stages[index].shape[2:],
            mode='bilinear',
            align_corners=False)
        h = torch.cat([h, adaptor(index, stages[index])], dim=1)
    assert h.shape == (2, 16, 16, 16)
    expected = F.conv2d(h, head.conv_seg.weight, head.conv_seg.bias)
    assert torch.allclose(head(stages), expected, atol=1e-5)
    # An adaptor is a convolution and BN, no activation.
    assert head.adaptors[0].conv.kernel_size == (adaptor_kernel, ) * 2
    assert not head.adaptors[0].with_activation


def test_a_wrong_adaptor_or_transform_is_refused():
    init_default_scope('mmseg')
    with pytest.raises(ValueError, match='adaptor_kernel is 1'):
        MODELS.build(dict(aux_module(), adaptor_kernel=5))
    with pytest.raises(ValueError, match="remove input_transform='resize"):
        MODELS.build(dict(aux_module(), input_transform='resize_concat'))


def build(auxiliary_head) -> torch.nn.Module:
    cfg = Config.fromfile(STUDENT)
    cfg.model.auxiliary_head = auxiliary_head
    init_default_scope('mmseg')
    torch.manual_seed(0)
    return revert_sync_batchnorm(MODELS.build(cfg.model))


# A searched structure with every adaptor op and both aggregators.
SEARCHED = [(0, 0, 'deform_conv3x3', 'sep_conv3x3', 'concat'),
            (4, 1, 'sep_conv3x3_d3', 'skip', 'sum'),
            (2, 5, 'sep_conv3x3_d6', 'conv1x1', 'concat'),
            (6, 3, 'skip', 'skip', 'sum')]


@pytest.mark.parametrize('module', ['basic', 'searched'])
def test_it_trains_with_the_task_loss_and_is_gone_at_test(tmp_path, module):
    """Deep supervision (mmseg's FCN auxiliary head) and the module side by
    side: both add a loss that reaches the backbone; predictions, and the
    converted checkpoint, are those of the network without either."""
    auxiliary = aux_module(3)
    if module == 'searched':
        del auxiliary['adaptor_kernel']
        auxiliary.update(type='AuxiliaryCellsHead', cells=SEARCHED)
    model = build([
        copy.deepcopy(Config.fromfile(STUDENT).model.auxiliary_head),
        auxiliary
    ])
    inputs = torch.randn(2, 3, 64, 64)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            gt_sem_seg=PixelData(data=torch.randint(0, 19, (1, 64, 64))))
        sample.set_metainfo(dict(img_shape=(64, 64), pad_shape=(64, 64)))
        samples.append(sample)
    losses = model.loss(inputs, samples)
    assert {'aux_0.loss_ce', 'aux_1.loss_ce'} <= set(losses)
    losses['aux_1.loss_ce'].backward()
    assert model.backbone.stem[0].weight.grad.abs().sum() > 0
    assert model.decode_head.conv_seg.weight.grad is None

    checkpoint = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), checkpoint)
    deployable = str(tmp_path / 'deployable.pth')
    load_tool('model_converters/convert_to_student.py').convert(
        checkpoint, deployable, drop_auxiliary_heads=True)
    state_dict = torch.load(deployable)['state_dict']
    plain = build(None).eval()
    expected = plain.state_dict()
    assert list(state_dict) == list(expected)
    assert all(state_dict[key].shape == value.shape
               for key, value in expected.items())
    plain.load_state_dict(state_dict)
    model.eval()
    with torch.no_grad():
        assert torch.equal(
            plain(inputs, mode='tensor'), model(inputs, mode='tensor'))
    assert model_complexity(plain, (64, 64))['flops'] == \
        model_complexity(model, (64, 64))['flops']

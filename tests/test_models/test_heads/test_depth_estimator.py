# Copyright (c) mmskd contributors. All rights reserved.
"""DepthBinHead inside a depth estimator: slide inference and recorders.

mmseg 1.2.2's ``DepthEstimator.inference`` runs the sliding windows for
``test_cfg.mode='slide'`` and then returns a whole-image forward instead
(``mmseg/models/segmentors/depth_estimator.py`` lines 324-329), and at the
crop size, since ``slide_inference`` has set ``img_shape`` to it.
``PatchedDepthEstimator`` returns the sliding-window depth. The stock class
runs the same check as a strict xfail: it fails while mmseg has the defect,
and XPASS (a failure) tells that the workaround can go.
"""
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmseg.models.segmentors import DepthEstimator
from mmseg.models.utils import resize
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.models.segmentors import PatchedDepthEstimator

HEIGHT, WIDTH = 48, 64
METAS = [
    dict(
        ori_shape=(HEIGHT, WIDTH),
        img_shape=(HEIGHT, WIDTH),
        pad_shape=(HEIGHT, WIDTH),
        padding_size=[0, 0, 0, 0])
]


def tiny_estimator(type_name: str, mode: str = 'slide') -> DepthEstimator:
    """A narrow ResNet-18-D8 + DepthBinHead estimator, in eval mode."""
    torch.manual_seed(0)
    # A ConfigDict, as the Runner passes: mmseg reads test_cfg.stride.
    model = MODELS.build(
        ConfigDict(
            type=type_name,
            _scope_='mmseg',
            data_preprocessor=dict(
                type='SegDataPreProcessor',
                mean=[0.0] * 3,
                std=[1.0] * 3,
                seg_pad_val=0),
            backbone=dict(
                type='ResNetV1c',
                depth=18,
                stem_channels=8,
                base_channels=4,
                dilations=(1, 1, 2, 4),
                strides=(1, 2, 1, 1),
                contract_dilation=True),
            decode_head=dict(
                type='DepthBinHead',
                _scope_='mmskd',
                in_channels=32,
                in_index=3,
                channels=8,
                pool_scales=(1, 2),
                num_bins=8,
                min_depth=0.5,
                max_depth=10.0),
            test_cfg=dict(mode=mode, crop_size=(32, 32), stride=(16, 16))))
    return model.eval()


# mmseg's own estimator, expected to fail while mmseg has the defect.
STOCK_ESTIMATOR = pytest.param(
    'DepthEstimator',
    marks=pytest.mark.xfail(
        strict=True, reason='mmseg 1.2.2: slide falls through to whole'))


@pytest.mark.parametrize('type_name',
                         ['PatchedDepthEstimator', STOCK_ESTIMATOR])
def test_slide_mode_returns_the_sliding_window_depth(type_name):
    model = tiny_estimator(type_name)
    images = torch.rand(1, 3, HEIGHT, WIDTH) * 255
    with torch.no_grad():
        slide = model.slide_inference(images, copy.deepcopy(METAS))
        whole = model.whole_inference(images, copy.deepcopy(METAS))
        result = model.inference(images, copy.deepcopy(METAS))
    assert slide.shape == (1, 1, HEIGHT, WIDTH)  # out_channels = 1
    # PSP pooling sees the whole image or one window: the two differ.
    assert not torch.allclose(slide, whole, atol=1e-4)
    assert result.shape == slide.shape, 'not the input size'
    assert torch.allclose(result, slide)


def test_predict_slides_end_to_end():
    model = tiny_estimator('PatchedDepthEstimator')
    images = torch.rand(1, 3, HEIGHT, WIDTH) * 255
    sample = SegDataSample(metainfo=copy.deepcopy(METAS[0]))
    with torch.no_grad():
        slide = model.slide_inference(images, copy.deepcopy(METAS))
        [result] = model.predict(images, [sample])
    assert torch.allclose(result.pred_depth_map.data, slide[0])


@pytest.mark.parametrize('mode', ['whole', 'slide_flip'])
def test_other_modes_are_mmseg_s(mode):
    patched = tiny_estimator('PatchedDepthEstimator', mode)
    stock = tiny_estimator('DepthEstimator', mode)
    assert isinstance(patched, PatchedDepthEstimator)
    images = torch.rand(1, 3, HEIGHT, WIDTH) * 255
    with torch.no_grad():
        ours = patched.inference(images, copy.deepcopy(METAS))
        theirs = stock.inference(images, copy.deepcopy(METAS))
    assert torch.equal(ours, theirs)


def test_recorded_conv_seg_is_the_bin_logits_of_the_prediction():
    from mmrazor.models.task_modules import ModuleOutputsRecorder
    model = tiny_estimator('PatchedDepthEstimator', 'whole')
    recorder = ModuleOutputsRecorder('decode_head.conv_seg')
    recorder.initialize(model)
    images = torch.rand(2, 3, HEIGHT, WIDTH) * 255
    with torch.no_grad(), recorder:
        tensor_output = model(images, mode='tensor')
    logits = recorder.get_record_data()
    assert logits.shape == (2, 8, HEIGHT // 8, WIDTH // 8)
    assert torch.equal(logits, tensor_output)
    head = model.decode_head
    with torch.no_grad():
        whole = model.whole_inference(images, copy.deepcopy(METAS) * 2)
    upsampled = resize(
        logits, size=(HEIGHT, WIDTH), mode='bilinear', align_corners=False)
    assert torch.allclose(head.logits_to_depth(upsampled), whole)

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
import contextlib
import copy

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
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


def recorded(model, sources: list, run) -> tuple:
    """What modules ``sources`` output, per call, while ``run()`` runs."""
    from mmrazor.models.task_modules import ModuleOutputsRecorder
    recorders = [ModuleOutputsRecorder(source) for source in sources]
    with contextlib.ExitStack() as stack:
        for recorder in recorders:
            recorder.initialize(model)
            stack.enter_context(recorder)
        result = run()
    return [recorder.data_buffer for recorder in recorders], result


@pytest.mark.parametrize('mode', ['tensor', 'loss'])
def test_recorded_depth_map_is_the_expected_depth_of_the_logits(mode):
    """The depth map the holistic term scores (the teacher's in tensor
    mode, the student's in loss mode): one record per forward, the expected
    depth of conv_seg's logits of the same forward, before any resize, with
    gradients (run_teacher adds no_grad for the teacher)."""
    model = tiny_estimator('PatchedDepthEstimator', 'whole')
    if mode == 'loss':
        model.train()  # dropout before conv_seg: both from one forward
    images = torch.rand(2, 3, HEIGHT, WIDTH) * 255
    samples = [SegDataSample(metainfo=copy.deepcopy(METAS[0]))] * 2
    gt_depth = torch.linspace(0.6, 9.0, HEIGHT * WIDTH).view(1, HEIGHT, WIDTH)
    for sample in samples:
        sample.gt_depth_map = PixelData(data=gt_depth)
    (logits_calls, depth_calls), _ = recorded(
        model, ['decode_head.conv_seg', 'decode_head.expected_depth'],
        lambda: model(images, samples, mode=mode))
    [logits], [depth] = logits_calls, depth_calls
    assert depth.shape == (2, 1, HEIGHT // 8, WIDTH // 8)
    # The student's holistic term trains it through this map.
    assert depth.requires_grad
    head = model.decode_head
    assert torch.allclose(depth, head.logits_to_depth(logits))
    assert depth.min() >= head.bin_centres[0]
    assert depth.max() <= head.bin_centres[-1]


def test_prediction_is_unchanged_and_recorded_once():
    """predict takes the expected depth of the logits resized to the input,
    as before; that second expected depth is not recorded, so record 0 is
    the depth map at the logits' resolution."""
    model = tiny_estimator('PatchedDepthEstimator', 'whole')
    images = torch.rand(1, 3, HEIGHT, WIDTH) * 255
    sample = SegDataSample(metainfo=copy.deepcopy(METAS[0]))
    with torch.no_grad():
        buffers, results = recorded(model, ['decode_head.expected_depth'],
                                    lambda: model.predict(images, [sample]))
        logits = model(images, mode='tensor')
    [[depth]], [result] = buffers, results
    assert depth.shape == (1, 1, HEIGHT // 8, WIDTH // 8)
    upsampled = resize(
        logits, size=(HEIGHT, WIDTH), mode='bilinear', align_corners=False)
    head = model.decode_head
    assert torch.allclose(result.pred_depth_map.data[None],
                          head.logits_to_depth(upsampled))
    assert not torch.allclose(
        resize(depth, size=(HEIGHT, WIDTH), mode='bilinear'),
        result.pred_depth_map.data[None])


def test_forward_and_tensor_mode_need_no_ground_truth():
    """Only loss_by_feat reads gt_depth_map: unlabelled frames (samples
    without depth) pass the teacher's tensor mode and the head's forward."""
    model = tiny_estimator('PatchedDepthEstimator', 'whole').train()
    images = torch.rand(2, 3, HEIGHT, WIDTH) * 255
    unlabelled = [SegDataSample(metainfo=copy.deepcopy(METAS[0]))] * 2
    buffers, logits = recorded(
        model, ['decode_head.expected_depth'],
        lambda: model(images, unlabelled, mode='tensor'))
    [[depth]] = buffers
    assert logits.shape[1] == 8 and depth.shape[1] == 1
    with pytest.raises(KeyError, match='gt_depth_map'):
        model(images, unlabelled, mode='loss')

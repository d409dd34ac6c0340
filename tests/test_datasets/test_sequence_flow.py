# Copyright (c) mmskd contributors. All rights reserved.
"""Precomputed flow loaded as a data field and augmented with its frames."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import DefaultScope

import mmskd.datasets  # noqa: F401
from mmskd.models.flow import flow_warp, warp_valid_mask
from mmskd.testing import DX, DY, LABELLED, write_cityscapes_sequences

HEIGHT, WIDTH = 64, 128


@pytest.fixture(scope='module')
def seq_root(tmp_path_factory) -> str:
    return write_cityscapes_sequences(
        str(tmp_path_factory.mktemp('flow')),
        splits=('train', ),
        num_snippets=1,
        flow_ext='.flo')


def sample(root: str, gap: int = 2) -> dict:
    """The raw results of the pair (labelled, labelled + gap)."""
    frames = [LABELLED, LABELLED + gap]
    seq = osp.join(root, 'leftImg8bit_sequence/train/city')
    return dict(
        img_path=osp.join(seq, f'city_000000_{LABELLED:06d}_leftImg8bit.png'),
        frame_paths=[
            osp.join(seq, f'city_000000_{f:06d}_leftImg8bit.png')
            for f in frames
        ],
        flow_paths=[
            osp.join(root, 'flow/train/city',
                     f'city_000000_{frames[0]:06d}_{frames[1]:06d}.flo')
        ],
        seg_fields=[])


def run(results: dict, *transforms: dict) -> dict:
    pipeline = [dict(type='LoadSequenceFrames'), dict(type='LoadSequenceFlow')]
    with DefaultScope.overwrite_default_scope('mmseg'):
        return Compose(pipeline + list(transforms))(results)


def resize(ratio: float, **kwargs) -> dict:
    return dict(
        type='RandomResize',
        scale=(WIDTH, HEIGHT),
        ratio_range=(ratio, ratio),
        keep_ratio=True,
        resize_type='SequenceResize',
        **kwargs)


def assert_constant(flow: np.ndarray, shape: tuple, u: float, v: float):
    assert flow.shape == shape and flow.dtype == np.float32
    np.testing.assert_allclose(flow[..., 0], u, atol=1e-5)
    np.testing.assert_allclose(flow[..., 1], v, atol=1e-5)


def test_load_stacks_the_flow_and_registers_it(seq_root):
    out = run(sample(seq_root))
    assert out['img'].shape == (HEIGHT, WIDTH, 6)
    assert out['flow_fields'] == ['gt_flow']
    assert_constant(out['gt_flow'], (HEIGHT, WIDTH, 2), 2 * DX, 2 * DY)


@pytest.mark.parametrize('ratio', [2.0, 0.5])
def test_rescale_resamples_and_scales_the_vectors(seq_root, ratio):
    out = run(sample(seq_root), resize(ratio))
    shape = (int(HEIGHT * ratio), int(WIDTH * ratio), 2)
    assert out['img'].shape[:2] == shape[:2]
    assert_constant(out['gt_flow'], shape, 2 * DX * ratio, 2 * DY * ratio)


def test_resize_without_keeping_the_ratio_scales_u_and_v_apart(seq_root):
    out = run(
        sample(seq_root),
        dict(type='SequenceResize', scale=(2 * WIDTH, HEIGHT // 2)))
    assert_constant(out['gt_flow'], (HEIGHT // 2, 2 * WIDTH, 2), 4 * DX, DY)


@pytest.mark.parametrize('direction', ['horizontal', 'vertical'])
def test_flip_mirrors_and_negates_the_flipped_component(seq_root, direction):
    results = sample(seq_root)
    flow = run(dict(results))['gt_flow'].copy()
    # A ramp shows the mirroring; the constant part the sign.
    ramp = np.arange(WIDTH, dtype=np.float32)[None]
    flow[..., 0] += ramp
    results['flow_paths'] = [results['flow_paths'][0][:-4] + '_ramp.npy']
    np.save(results['flow_paths'][0], flow)
    out = run(results,
              dict(type='SequenceRandomFlip', prob=1.0, direction=direction))
    if direction == 'horizontal':
        np.testing.assert_allclose(out['gt_flow'][..., 0],
                                   -flow[:, ::-1, 0])
        np.testing.assert_allclose(out['gt_flow'][..., 1], 2 * DY)
    else:
        np.testing.assert_allclose(out['gt_flow'][..., 0], flow[..., 0])
        np.testing.assert_allclose(out['gt_flow'][..., 1], -2 * DY)


def test_crop_cuts_the_flow_with_the_frames(seq_root):
    out = run(
        sample(seq_root), resize(2.0),
        dict(type='SequenceRandomCrop', crop_size=(40, 72)),
        dict(type='SequenceRandomFlip', prob=1.0))
    assert out['img'].shape == (40, 72, 6)
    assert_constant(out['gt_flow'], (40, 72, 2), -4 * DX, 4 * DY)


def test_warping_by_the_augmented_flow_restores_frame_t(seq_root):
    out = run(
        sample(seq_root), resize(2.0),
        dict(type='SequenceRandomCrop', crop_size=(96, 200)),
        dict(type='SequenceRandomFlip', prob=1.0),
        dict(type='PackSequenceInputs'))
    frames = out['inputs'].float().view(2, 3, 96, 200)
    flow = out['data_samples'].gt_flow.data[None]
    assert flow.shape == (1, 2, 96, 200)
    warped = flow_warp(frames[1:], flow)
    # Where frame t+k shows frame t's content (not the scene entering at
    # the border), the warp reproduces frame t.
    valid = warp_valid_mask(flow)[0, 0]
    valid[:, :8] = valid[:, -8:] = False
    valid[:8] = valid[-8:] = False
    assert valid.sum() > 0.5 * valid.numel()
    difference = (warped[0] - frames[0]).abs()[:, valid]
    assert difference.max() < 1e-3
    # The unaugmented flow no longer fits the flipped frames.
    wrong = flow_warp(frames[1:], flow * torch.tensor([-1., 1.]).view(
        1, 2, 1, 1))
    assert (wrong[0] - frames[0]).abs()[:, valid].mean() > 5


def test_errors_name_the_file(seq_root, tmp_path):
    results = sample(seq_root)
    bad = str(tmp_path / 'small.npy')
    np.save(bad, np.zeros((HEIGHT // 2, WIDTH, 2), np.float32))
    with pytest.raises(ValueError, match='small.npy.*32x128'):
        run(dict(results, flow_paths=[bad]))
    missing = str(tmp_path / 'missing.flo')
    with pytest.raises(FileNotFoundError, match='missing.flo'):
        run(dict(results, flow_paths=[missing]))
    with pytest.raises(ValueError, match="data_prefix\\['flow_path'\\]"):
        run(dict(results, flow_paths=()))
    # LoadSequenceAnnotations loads flow only when the sample lists some.
    with DefaultScope.overwrite_default_scope('mmseg'):
        loader = Compose([
            dict(type='LoadSequenceFrames'),
            dict(type='LoadSequenceAnnotations')
        ])
        seg = osp.join(seq_root, 'gtFine/train/city',
                       f'city_000000_{LABELLED:06d}_gtFine_labelTrainIds.png')
        out = loader(dict(results, flow_paths=(), seg_map_path=seg,
                          reduce_zero_label=False))
        assert 'gt_flow' not in out and out['gt_seg_map'].shape == (64, 128)
        out = loader(dict(results, seg_map_path=seg, reduce_zero_label=False))
        assert out['gt_flow'].shape == (HEIGHT, WIDTH, 2)

# Copyright (c) mmskd contributors. All rights reserved.
"""VideoDistill on generated shifted sequences: what each frame gets."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope

import mmskd.datasets  # noqa: F401
from mmskd.models.flow import flow_warp, warp_valid_mask
from mmskd.registry import MODELS
from mmskd.testing import (DX, DY, REPO, tiny_video_options,
                           write_cityscapes_sequences)

VIDEO = osp.join(
    REPO, 'configs/video/'
    'video_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py')


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    return write_cityscapes_sequences(
        str(tmp_path_factory.mktemp('seq')), flow_ext='.npy')


def video_cfg(root: str, **extra) -> Config:
    cfg = Config.fromfile(VIDEO)
    cfg.merge_from_dict(tiny_video_options(cfg, root))
    # Unflipped, unscaled frames: ConstantFlow is then the true flow.
    cfg.train_dataloader.dataset.pipeline[2].ratio_range = (1.0, 1.0)
    cfg.train_dataloader.dataset.pipeline[4].prob = 0.0
    cfg.merge_from_dict(extra)
    return cfg


def build(cfg: Config):
    from mmseg.registry import DATASETS
    torch.manual_seed(0)
    # A scoped build: a global default scope would leak into later tests.
    with DefaultScope.overwrite_default_scope('mmseg'):
        return MODELS.build(cfg.model), \
            DATASETS.build(cfg.train_dataloader.dataset), \
            DATASETS.build(cfg.val_dataloader.dataset)


@pytest.fixture(scope='module')
def built(root):
    return build(video_cfg(root))


def batch(dataset, model, training=True, indices=(0, 1)):
    np.random.seed(1)
    data = pseudo_collate([dataset[i] for i in indices])
    return model.data_preprocessor(data, training)


def test_terms_and_task_loss_on_the_labelled_frame_only(built):
    model, train_set, _ = built
    model.train()
    data = batch(train_set, model)
    assert data['inputs'].shape == (2, 3, 3, 64, 128)
    torch.manual_seed(5)  # the heads' dropout
    losses = model.loss(data['inputs'], data['data_samples'])
    assert {f'distill.loss_{k}'
            for k in ('pi', 'pa', 'tl', 'pf', 'mf')} <= set(losses)
    # The distiller's records hold all 3 frames of both samples.
    record = model.distiller.get_record('logits', True)
    assert record.shape[0] == 6
    assert model.distiller.get_record('logits', False).shape[0] == 6
    # The task loss is the student's loss on the labelled frames alone.
    labelled = data['inputs'][:, 1]
    torch.manual_seed(5)
    alone = model.student(labelled, copy.deepcopy(data['data_samples']),
                          'loss')
    torch.testing.assert_close(losses['student.decode.loss_ce'],
                               alone['decode.loss_ce'])


def test_flows_align_every_frame_with_the_labelled_one(built):
    model, train_set, _ = built
    data = batch(train_set, model, indices=(0, 1, 2, 3))
    frames = model.split_frames(data['inputs'], data['data_samples'])
    flows = model.pair_flows(frames, data['data_samples'])
    assert frames.pairs == ((1, 0), (1, 2))
    for (i, j), flow in zip(frames.pairs, flows):
        warped = flow_warp(frames.frames[j], flow)
        valid = warp_valid_mask(flow).expand_as(warped)
        torch.testing.assert_close(
            warped[valid], frames.frames[i][valid], atol=1e-4, rtol=0)
    gap = data['data_samples'][0].frame_offsets[2]
    assert flows[1][0, :, 0, 0].tolist() == [gap * DX, gap * DY]


def test_predict_fills_the_temporal_consistency_fields(built):
    model, _, val_set = built
    model.eval()
    data = batch(val_set, model, training=False)
    with torch.no_grad():
        out = model.predict(data['inputs'], data['data_samples'])
    assert out[0].seq_pred_sem_seg.shape == (2, 64, 128)
    assert out[0].pred_sem_seg.shape == (64, 128)
    torch.testing.assert_close(out[0].seq_pred_sem_seg[0],
                               out[0].pred_sem_seg.data[0])
    assert out[0].seq_flow.shape == (1, 2, 64, 128)
    assert out[0].seq_flow[0, :, 5, 5].tolist() == [DX, DY]


def test_mf_conv_lstm_trains_with_the_student(built):
    model, _, _ = built
    names = [name for name, _ in model.named_parameters()]
    assert 'video_losses.loss_mf.conv_lstm.gates.weight' in names
    assert 'video_losses.loss_mf.conv_lstm.gates.weight' in \
        model.state_dict()


def flow_cfg(root: str, **pipeline) -> Config:
    cfg = video_cfg(root)
    cfg.model.flow_source = dict(type='PrecomputedFlow')
    dataset = cfg.train_dataloader.dataset
    dataset.flow_suffix = '.npy'
    dataset.data_prefix.flow_path = 'flow/train'
    dataset.pipeline[3].crop_size = (64, 128)
    dataset.pipeline[4].prob = pipeline.get('flip', 0.0)
    return cfg


def test_precomputed_flow_trains_and_refuses_wrong_shapes(root, tmp_path):
    cfg = flow_cfg(root)
    model, train_set, _ = build(cfg)
    model.train()
    data = batch(train_set, model)
    frames = model.split_frames(data['inputs'], data['data_samples'])
    flows = model.pair_flows(frames, data['data_samples'])
    gap = data['data_samples'][0].frame_offsets[2]
    assert flows[1][0, :, 3, 3].tolist() == [gap * DX, gap * DY]
    path = data['data_samples'][0].flow_paths[1]
    good = np.load(path)
    try:
        # The pipeline reads the files, so a bad one fails at loading.
        np.save(path, good[:32])
        with pytest.raises(ValueError, match=osp.basename(path)):
            batch(train_set, model)
    finally:
        np.save(path, good)
    del data['data_samples'][0].gt_flow
    with pytest.raises(ValueError, match='LoadSequenceAnnotations'):
        model.loss(data['inputs'], data['data_samples'])


@pytest.mark.parametrize('flip, ratio', [(1.0, 1.0), (0.0, 2.0), (1.0, 2.0)])
def test_precomputed_flow_is_augmented_with_the_frames(root, flip, ratio):
    cfg = flow_cfg(root, flip=flip)
    cfg.train_dataloader.dataset.pipeline[2].ratio_range = (ratio, ratio)
    model, train_set, _ = build(cfg)
    model.train()
    data = batch(train_set, model)
    frames = model.split_frames(data['inputs'], data['data_samples'])
    flows = model.pair_flows(frames, data['data_samples'])
    for sample, flow in zip(data['data_samples'], flows[1]):
        gap = sample.frame_offsets[2]
        assert sample.flip == bool(flip)
        # u mirrors with the frames, both components scale with them.
        expected = [(-1 if flip else 1) * gap * DX * ratio, gap * DY * ratio]
        torch.testing.assert_close(flow[:, 3:-3, 3:-3].mean((1, 2)),
                                   torch.tensor(expected))
    losses = model.loss(data['inputs'], data['data_samples'])
    assert torch.isfinite(losses['distill.loss_tl'])


def test_temporal_training_refuses_a_recorder_it_lacks(root):
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/video/'
            'temporal_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py'))
    cfg.merge_from_dict(tiny_video_options(cfg, root))
    assert cfg.model.recorders.type == 'RecorderManager'
    assert cfg.model.sequence_preprocessor.type == 'SequenceDataPreProcessor'
    cfg.model.logits_recorder = 'logit'
    with DefaultScope.overwrite_default_scope('mmseg'), \
            pytest.raises(ValueError, match="logits_recorder is 'logit'.*"
                          "Did you mean 'logits'"):
        MODELS.build(cfg.model)


def test_temporal_training_without_tl_trains_the_labelled_frames_alone(root):
    """The per-frame baseline: CE of the labelled frames, no other term."""
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/video/'
            'temporal_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py'))
    cfg.merge_from_dict(tiny_video_options(cfg, root))
    cfg.model.temporal_loss = None
    model, dataset, _ = build(cfg)
    data = batch(dataset, model)
    torch.manual_seed(3)
    losses = model.loss(data['inputs'], data['data_samples'])
    labelled = data['inputs'][:, data['data_samples'][0].labelled_index]
    torch.manual_seed(3)
    expected = model.architecture.loss(labelled, data['data_samples'])
    assert set(losses) == set(expected)
    assert not any(key.startswith('temporal') for key in losses)
    for key, value in expected.items():
        assert torch.equal(losses[key], value), key


def test_a_temporal_training_checkpoint_is_the_video_teacher(root, tmp_path):
    """The checkpoint of the teacher's training (CE + TL) loads into the
    segmentor it trained, as VideoDistill's ``teacher_ckpt``."""
    from mmskd.models.utils.checkpoint import load_teacher_checkpoint
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/video/'
            'temporal_pspnet_r101-d8_4xb2-80k_cityscapes-seq-512x1024.py'))
    cfg.merge_from_dict(tiny_video_options(cfg, root))
    trained, _, _ = build(cfg)
    path = str(tmp_path / 'iter_1.pth')
    torch.save(dict(state_dict=trained.state_dict(), meta=dict()), path)
    torch.manual_seed(5)
    with DefaultScope.overwrite_default_scope('mmseg'):
        teacher = MODELS.build(cfg.model.architecture)
    load_teacher_checkpoint(teacher, path)
    expected = trained.architecture.state_dict()
    assert teacher.state_dict().keys() == expected.keys()
    for key, value in teacher.state_dict().items():
        assert torch.equal(value, expected[key]), key

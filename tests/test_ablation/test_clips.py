# Copyright (c) mmskd contributors. All rights reserved.
"""The generated clips of the ablation table ``video``: reproducible, in the
Cityscapes sequences' layout, with flow files that are the frames' true
motion, read by the clips config."""
import glob
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers CityscapesSequenceDataset)
from mmskd.ablation import render_clip, write_clips
from mmskd.models.flow import flow_warp, warp_valid_mask
from mmskd.testing import REPO

SEQUENCES = 'leftImg8bit_sequence/{split}/city/city_{clip:06d}_{frame:06d}' \
    '_leftImg8bit.png'


def files(root: str) -> dict:
    """Each file's bytes, by its path under ``root``."""
    contents = {}
    for path in glob.glob(f'{root}/**/*.*', recursive=True):
        with open(path, 'rb') as file:
            contents[osp.relpath(path, root)] = file.read()
    return contents


def test_the_same_seed_writes_the_same_clips(tmp_path):
    first = files(write_clips(str(tmp_path / 'a'), num_train=2, num_val=1))
    again = files(write_clips(str(tmp_path / 'b'), num_train=2, num_val=1))
    more = files(write_clips(str(tmp_path / 'c'), num_train=3, num_val=1))
    other = files(write_clips(str(tmp_path / 'd'), 1, num_train=2, num_val=1))
    stem = 'city/city_{:06d}_000019'
    expected = set()
    for split, count in (('train', 2), ('val', 1)):
        for clip in range(count):
            expected |= {
                f'leftImg8bit/{split}/{stem.format(clip)}_leftImg8bit.png',
                f'gtFine/{split}/{stem.format(clip)}_gtFine_labelTrainIds.png'
            }
            expected |= {
                SEQUENCES.format(split=split, clip=clip, frame=frame)
                for frame in range(17, 22)
            }
            expected |= {
                f'flow/{split}/{stem.format(clip)}_{frame:06d}.npy'
                for frame in (17, 18, 20, 21)
            }
    assert set(first) == expected
    assert first == again
    # The validation clips do not depend on the number of training clips.
    assert all(more[name] == first[name] for name in first if 'val' in name)
    assert first != other


def test_the_flow_files_are_the_frames_motion(tmp_path):
    """Frame 19 + k holds frame 19's pixels moved by the flow 19 -> 19 + k,
    up to each frame's own noise and brightness; no other motion fits."""
    root = write_clips(str(tmp_path), num_train=6, num_val=0)
    for clip in range(6):
        frames = {
            frame:
            cv2.imread(
                osp.join(
                    root,
                    SEQUENCES.format(split='train', clip=clip,
                                     frame=frame))).astype(float)
            for frame in range(17, 22)
        }
        labelled = cv2.imread(
            osp.join(
                root, f'leftImg8bit/train/city/city_{clip:06d}_000019'
                '_leftImg8bit.png')).astype(float)
        assert np.array_equal(labelled, frames[19])

        def error(other: int, dx: int, dy: int) -> float:
            # Frame 19's pixel (x, y) against frame other's (x + dx, y + dy),
            # away from the borders where new scene enters.
            moved = frames[other][8 + dy:120 + dy, 12 + dx:116 + dx]
            return np.abs(moved - frames[19][8:120, 12:116]).mean()

        for other in (17, 18, 20, 21):
            flow = np.load(
                osp.join(
                    root, f'flow/train/city/city_{clip:06d}_000019_'
                    f'{other:06d}.npy'))
            assert flow.shape == (128, 128, 2) and flow.dtype == np.float32
            dx, dy = (int(value) for value in flow[0, 0])
            assert np.all(flow == flow[0, 0])
            true = error(other, dx, dy)
            assert true < 25
            assert all(true < error(other, dx + ex, dy + ey)
                       for ex, ey in ((1, 0), (-1, 0), (0, 1), (0, -1)))
            # What the temporal loss and TC do with the file: frame other
            # warped back by it is frame 19 wherever it lands in the frame.
            flow = torch.from_numpy(flow).permute(2, 0, 1)[None]
            warped = flow_warp(
                torch.from_numpy(frames[other]).permute(2, 0, 1)[None], flow)
            inside = warp_valid_mask(flow)[0, 0].numpy()
            assert inside.mean() > 0.85
            residual = warped[0].permute(1, 2, 0).numpy() - frames[19]
            assert np.abs(residual[inside]).mean() < 25


def test_every_clip_moves(tmp_path):
    rng = np.random.default_rng(0)
    for _ in range(20):
        frames, labels, (dx, dy) = render_clip(rng, 32, 48)
        assert (dx, dy) != (0, 0) and abs(dx) <= 4 and abs(dy) <= 1
        assert len(frames) == 5 and labels.shape == (32, 48)
        assert all(frame.shape == (32, 48, 3) for frame in frames)


def test_the_clips_config_reads_them(tmp_path):
    root = write_clips(str(tmp_path), num_train=3, num_val=2)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/clips-128x128.py'))
    init_default_scope('mmseg')
    train = DATASETS.build(dict(cfg.train_dataloader.dataset, data_root=root))
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
    assert (len(train), len(val)) == (3, 2)
    sample = train[0]
    # (frame_f, labelled, frame_b) stacked on the channel axis, with the
    # flow from the labelled frame to each other one, rescaled and cropped
    # alike.
    inputs, flow = sample['inputs'], sample['data_samples'].gt_flow.data
    assert inputs.shape[0] == 9 and flow.shape == (4, *inputs.shape[1:])
    # At the clips' scale: rescaled by 0.5 to 2, cropped to 128x128.
    assert max(inputs.shape[1:]) <= 128
    assert 0.5 <= sample['data_samples'].scale_factor[0] <= 2
    pair = val[1]
    assert pair['inputs'].shape == (6, 128, 128)  # the frames as written
    assert pair['data_samples'].frame_offsets == (0, 1)
    assert pair['data_samples'].flow_paths[0].endswith(
        'flow/val/city/city_000001_000019_000020.npy')

# Copyright (c) mmskd contributors. All rights reserved.
"""The generated rooms of the ablation table ``depth``: reproducible, in
NYU's layout and units, read by the rooms configs, with depth that follows
the room's geometry."""
import glob
import os.path as osp

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers CheckedNYUDataset)
from mmskd.ablation import render_room, write_rooms
from mmskd.testing import REPO


def files(root: str) -> dict:
    """Each file's bytes, by its path under ``root``."""
    contents = {}
    for path in glob.glob(f'{root}/**/*.*', recursive=True):
        with open(path, 'rb') as file:
            contents[osp.relpath(path, root)] = file.read()
    return contents


def test_the_same_seed_writes_the_same_rooms(tmp_path):
    first = files(write_rooms(str(tmp_path / 'a'), num_train=3, num_val=2))
    again = files(write_rooms(str(tmp_path / 'b'), num_train=3, num_val=2))
    more = files(write_rooms(str(tmp_path / 'c'), num_train=4, num_val=2))
    other = files(write_rooms(str(tmp_path / 'd'), 1, num_train=3, num_val=2))
    assert sorted(first) == [
        f'{kind}/{split}/room_{index:04d}.{suffix}'
        for kind, suffix in (('annotations', 'png'), ('images', 'jpg'))
        for split, count in (('test', 2), ('train', 3))
        for index in range(1, count + 1)
    ]
    assert first == again
    # The validation rooms do not depend on the number of training rooms.
    assert all(more[name] == first[name] for name in first if 'test' in name)
    assert first != other


def test_depth_is_in_millimetres_and_follows_the_room(tmp_path):
    root = write_rooms(str(tmp_path), num_train=4, num_val=1)
    for path in glob.glob(f'{root}/annotations/train/*.png'):
        depth = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        assert depth.dtype == np.uint16 and depth.shape == (128, 160)
        # Millimetres, no hole: the nearest surface (a box) is at 1 m.
        assert 1000 <= depth.min() and depth.max() <= 8500
    # Seen from inside a room, the floor, the ceiling and the walls are
    # nearer at the image's edges than at its centre (the back wall or a
    # box), whatever the room.
    rng = np.random.default_rng(3)
    rooms = [render_room(rng, 64, 80) for _ in range(20)]
    assert all(image.shape == (64, 80, 3) and image.dtype == np.uint8
               for image, _ in rooms)
    depths = np.stack([depth for _, depth in rooms])
    centre = depths[:, 28:36, 36:44].mean(axis=(1, 2))
    bottom, top, left, right = (depths[:, -1], depths[:, 0], depths[:, :, 0],
                                depths[:, :, -1])
    for edge in (bottom, top, left, right):
        assert (edge.mean(axis=1) < centre).mean() >= 0.9


def test_the_rooms_configs_read_them(tmp_path):
    root = write_rooms(str(tmp_path), num_train=20, num_val=2)
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(
            REPO,
            'configs/ablation/depthbin_r18-d8_w8_1xb8-150_rooms-128x128.py'))
    dataset = DATASETS.build(
        dict(cfg.train_dataloader.dataset, data_root=root, indices=None))
    sample = dataset[0]
    assert tuple(sample['inputs'].shape) == (3, 128, 128)
    depth = sample['data_samples'].gt_depth_map.data
    assert 0.3 <= float(depth[depth > 0].median()) <= 10
    val = DATASETS.build(dict(cfg.val_dataloader.dataset, data_root=root))
    assert len(val) == 2
    assert tuple(val[0]['inputs'].shape) == (3, 128, 160)

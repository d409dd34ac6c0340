# Copyright (c) mmskd contributors. All rights reserved.
"""Multi-task data: the three-task rooms, the dataset's listing, the
transforms that keep every map aligned (normals mirrored with the image,
depth divided by the resize scale) and the padding of each map."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmengine.structures import PixelData
from mmseg.registry import DATASETS
from mmseg.structures import SegDataSample

import mmskd  # noqa: F401  (registers the modules)
from mmskd.ablation import render_room, write_rooms
from mmskd.ablation.multi_task_rooms import (CLASSES, room_task_maps,
                                             write_multi_task_rooms)
from mmskd.datasets.transforms import (LoadSurfaceNormals, MultiTaskRandomFlip,
                                       MultiTaskRandomResize,
                                       PackMultiTaskInputs, decode_normals,
                                       encode_normals)
from mmskd.models import MultiTaskDataPreProcessor

PREFIX = dict(
    img_path='images/train',
    seg_map_path='labels/train',
    depth_map_path='depth/train',
    normal_map_path='normals/train')


@pytest.fixture(scope='module')
def rooms(tmp_path_factory):
    return write_multi_task_rooms(
        str(tmp_path_factory.mktemp('mt_rooms')), num_train=3, num_val=1)


def test_rooms_are_the_depth_tables_rooms_with_labels_and_normals(
        rooms, tmp_path):
    depth_rooms = write_rooms(str(tmp_path), num_train=3, num_val=1)
    for folder, other in (('images', 'images'), ('depth', 'annotations')):
        name = 'room_0002.jpg' if folder == 'images' else 'room_0002.png'
        mine = cv2.imread(
            osp.join(rooms, folder, 'train', name), cv2.IMREAD_UNCHANGED)
        theirs = cv2.imread(
            osp.join(depth_rooms, other, 'train', name), cv2.IMREAD_UNCHANGED)
        assert np.array_equal(mine, theirs), folder
    labels = cv2.imread(osp.join(rooms, 'labels/train/room_0002.png'), 0)
    normals = decode_normals(
        cv2.imread(osp.join(rooms, 'normals/train/room_0002.png'))[..., ::-1])
    # Every floor pixel faces up (-y), every wall and box pixel sideways or
    # towards the camera, never up or down.
    floor = labels == CLASSES.index('floor')
    assert floor.any()
    np.testing.assert_allclose(
        normals[floor], [[0, -1, 0]] * floor.sum(), atol=1e-6)
    sides = labels >= CLASSES.index('wall')
    assert np.abs(normals[sides][:, 1]).max() < 1e-6
    assert set(np.unique(labels)) <= set(range(len(CLASSES)))


def test_task_maps_of_the_surfaces():
    surface = np.array([[0, 1, 2], [3, 4, 5]])
    labels, normals = room_task_maps(surface)
    assert labels.tolist() == [[0, 1, 2], [2, 2, 3]]
    assert normals.reshape(-1, 3).tolist() == [[0, -1, 0], [0, 1,
                                                            0], [1, 0, 0],
                                               [-1, 0, 0], [0, 0, -1],
                                               [0, 0, -1]]
    image, depth = render_room(np.random.default_rng(0), 8, 10)
    assert image.shape == (8, 10, 3) and depth.shape == (8, 10)


def test_normals_encoding_round_trips_within_a_step():
    normals = np.array([[[0, -1, 0], [0.6, 0, -0.8], [0, 0, 0]]],
                       dtype=np.float32)
    decoded = decode_normals(encode_normals(normals))
    np.testing.assert_allclose(decoded[0, :2], normals[0, :2], atol=1 / 127)
    assert np.array_equal(decoded[0, 2], [0, 0, 0])


def test_dataset_lists_every_map_and_names_a_missing_one(rooms):
    with DefaultScope.overwrite_default_scope('mmseg'):
        dataset = DATASETS.build(
            dict(
                type='MultiTaskDataset',
                data_root=rooms,
                data_prefix=PREFIX,
                metainfo=dict(classes=CLASSES),
                pipeline=[]))
    assert len(dataset) == 3
    info = dataset.get_data_info(0)
    assert info['normal_map_path'] == osp.join(rooms,
                                               'normals/train/room_0001.png')
    assert info['depth_map_path'].endswith('depth/train/room_0001.png')
    os.remove(osp.join(rooms, 'normals/train/room_0003.png'))
    try:
        with pytest.raises(FileNotFoundError, match='1 image.*normal map'):
            with DefaultScope.overwrite_default_scope('mmseg'):
                DATASETS.build(
                    dict(
                        type='MultiTaskDataset',
                        data_root=rooms,
                        data_prefix=PREFIX,
                        pipeline=[]))
    finally:
        write_multi_task_rooms(rooms, num_train=3, num_val=1)


def test_nyudv2_and_sunrgbd_have_their_classes():
    from mmskd.datasets import NYUDv2MultiTaskDataset, SUNRGBDMultiTaskDataset
    assert len(NYUDv2MultiTaskDataset.METAINFO['classes']) == 40
    assert len(SUNRGBDMultiTaskDataset.METAINFO['classes']) == 13


def sample_with_normals(rooms):
    results = dict(
        normal_map_path=osp.join(rooms, 'normals/train/room_0001.png'),
        ori_shape=(128, 160),
        seg_fields=[])
    return LoadSurfaceNormals().transform(results)


def test_flip_mirrors_the_normals(rooms):
    results = sample_with_normals(rooms)
    original = results['gt_normals'].copy()
    results['img'] = np.zeros((128, 160, 3), np.uint8)
    flipped = MultiTaskRandomFlip(prob=1.0).transform(results)
    expected = original[:, ::-1].copy()
    expected[..., 0] *= -1
    assert np.array_equal(flipped['gt_normals'], expected)


@pytest.mark.parametrize('scope', ['mmskd', 'mmseg'])
def test_resize_moves_every_map_and_divides_the_depth(scope):
    """Whatever the default scope (in mmskd's, mmcv's own Resize would
    resize the labels alone)."""
    depth = np.array([[2.0, 0.0], [4.0, 1.0]], dtype=np.float32)
    normals = np.zeros((2, 2, 3), np.float32)
    normals[..., 2] = -1
    results = dict(
        img=np.zeros((2, 2, 3), np.uint8),
        gt_depth_map=depth,
        gt_normals=normals,
        seg_fields=['gt_depth_map', 'gt_normals'])
    with DefaultScope.overwrite_default_scope(scope):
        resized = MultiTaskRandomResize(
            scale=(4, 4), ratio_range=(1.0, 1.0),
            keep_ratio=True).transform(results)
    assert resized['gt_depth_map'].shape == (4, 4)
    np.testing.assert_allclose(resized['gt_depth_map'][::2, ::2],
                               depth / 2)
    assert resized['gt_normals'].shape == (4, 4, 3)
    assert (resized['gt_normals'][..., 2] == -1).all()


def test_resize_refuses_a_map_of_another_size():
    results = dict(
        img=np.zeros((2, 2, 3), np.uint8),
        gt_seg_map=np.zeros((3, 2), np.uint8),
        img_path='a.jpg',
        seg_fields=['gt_seg_map'])
    with pytest.raises(ValueError, match='gt_seg_map of a.jpg is'):
        MultiTaskRandomResize(scale=(4, 4)).transform(results)


@pytest.mark.parametrize('direction,axes', [('horizontal', (0, )),
                                            ('vertical', (1, )),
                                            ('diagonal', (0, 1))])
def test_every_flip_mirrors_the_normals(direction, axes):
    normals = np.random.default_rng(0).normal(size=(3, 4, 3))
    results = dict(
        img=np.zeros((3, 4, 3), np.uint8),
        gt_normals=normals,
        seg_fields=['gt_normals'])
    flipped = MultiTaskRandomFlip(
        prob=1.0, direction=direction).transform(results)['gt_normals']
    expected = normals[::-1] if direction != 'horizontal' else normals
    expected = expected[:, ::-1] if direction != 'vertical' else expected
    expected = expected.copy()
    for axis in axes:
        expected[..., axis] *= -1
    np.testing.assert_allclose(flipped, expected)


def test_a_map_of_another_size_or_kind_is_refused(rooms, tmp_path):
    results = dict(
        normal_map_path=osp.join(rooms, 'normals/train/room_0001.png'),
        ori_shape=(64, 160),
        img_path='a.jpg',
        seg_fields=[])
    with pytest.raises(ValueError, match='must be the size of its image'):
        LoadSurfaceNormals().transform(results)
    gray = str(tmp_path / 'gray.png')
    cv2.imwrite(gray, np.zeros((4, 4), np.uint16))
    with pytest.raises(ValueError, match='8-bit 3-channel'):
        LoadSurfaceNormals().transform(
            dict(normal_map_path=gray, seg_fields=[]))


def test_pack_and_pad_give_each_map_its_own_padding(rooms):
    results = sample_with_normals(rooms)
    results.update(
        img=np.zeros((128, 160, 3), np.uint8),
        gt_seg_map=np.zeros((128, 160), np.uint8),
        gt_depth_map=np.ones((128, 160), np.float32))
    packed = PackMultiTaskInputs().transform(results)
    assert packed['data_samples'].gt_normals.shape == (128, 160)
    preprocessor = MultiTaskDataPreProcessor(size=(130, 164))
    batch = preprocessor(
        dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]),
        training=True)
    sample = batch['data_samples'][0]
    assert batch['inputs'].shape == (1, 3, 130, 164)
    assert (sample.gt_sem_seg.data[:, 128:] == 255).all()
    assert (sample.gt_depth_map.data[:, 128:] == 0).all()
    assert (sample.gt_depth_map.data[:, :, 160:] == 0).all()
    assert (sample.gt_depth_map.data[:, :128, :160] == 1).all()
    assert sample.gt_normals.shape == (130, 164)
    assert (sample.gt_normals.data[:, 128:] == 0).all()
    torch.testing.assert_close(
        sample.gt_normals.data[:, :128, :160],
        torch.from_numpy(results['gt_normals'].transpose(2, 0, 1)))


def test_testing_batches_keep_their_maps():
    sample = SegDataSample()
    sample.gt_depth_map = PixelData(data=torch.ones(1, 4, 4))
    batch = MultiTaskDataPreProcessor()(
        dict(inputs=[torch.zeros(3, 4, 4)], data_samples=[sample]))
    assert torch.equal(batch['data_samples'][0].gt_depth_map.data,
                       torch.ones(1, 4, 4))

# Copyright (c) mmskd contributors. All rights reserved.
"""Cityscapes, ADE20K and VOC label maps checked when the dataset loads:
missing files, ids beyond the classes and all-ignored labels are refused
with the file, the values and the expected layout."""
import glob
import os
import os.path as osp
import re

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.datasets.transforms import LoadAnnotations
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers the datasets)
from mmskd.datasets import cityscapes_paths
from mmskd.datasets.data_checks import (LabelRules, allowed_file_values,
                                        checked_indices, format_values,
                                        map_labels)
from mmskd.demo import write_scenes
from mmskd.testing import (REPO, write_ade20k_like, write_cityscapes_like,
                           write_voc_like)

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]
SIZE = dict(height=16, width=32)


def build(cfg: dict, **overrides):
    # A scoped build: a global default scope would leak into later tests.
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(dict(cfg, **overrides))


def cityscapes(root: str, split: str = 'train', **kwargs):
    return build(
        dict(
            type='CheckedCityscapesDataset',
            data_root=root,
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}',
                seg_map_path=f'gtFine/{split}'),
            pipeline=PIPELINE), **kwargs)


def ade20k(root: str, **kwargs):
    return build(
        dict(
            type='CheckedADE20KDataset',
            data_root=root,
            data_prefix=dict(
                img_path='images/training',
                seg_map_path='annotations/training'),
            pipeline=PIPELINE), **kwargs)


def voc(root: str, **kwargs):
    return build(
        dict(
            type='CheckedPascalVOCDataset',
            data_root=root,
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClass'),
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=PIPELINE), **kwargs)


def label_path(root: str, index: int) -> str:
    return cityscapes_paths(root, 'train', index)[1]


def overwrite(path: str, labels: np.ndarray) -> None:
    assert cv2.imwrite(path, labels)


@pytest.fixture
def city_root(tmp_path) -> str:
    return write_cityscapes_like(
        str(tmp_path / 'city'), splits=('train', ), num_images=4, **SIZE)


def test_generated_datasets_pass(city_root, tmp_path):
    city = cityscapes(city_root)
    assert len(city) == 4 and city.check_labels == 16
    ade = ade20k(write_ade20k_like(str(tmp_path / 'ade'), **SIZE))
    assert len(ade) == 4
    assert set(np.unique(ade[0]['gt_seg_map'])) <= set(range(150)) | {255}
    assert len(voc(write_voc_like(str(tmp_path / 'voc'), num_images=3))) == 3


def test_demo_scenes_pass(tmp_path):
    root = str(tmp_path / 'scenes')
    write_scenes(root, num_train=2, num_val=1, size=(32, 32), seed=0)
    dataset = cityscapes(root)
    assert len(dataset) == 2


def test_label_ids_beyond_the_classes_are_refused(city_root):
    path = label_path(city_root, 2)
    overwrite(path, np.array([[0, 18, 19], [33, 255, 255]], np.uint8))
    with pytest.raises(ValueError) as error:
        cityscapes(city_root)
    message = str(error.value)
    assert message.startswith(f'CheckedCityscapesDataset: {path} has label '
                              'values [19, 33], beyond 0-18, 255')
    assert 'IndexError' in message
    assert '_gtFine_labelTrainIds.png' in message  # the expected layout


def test_ade20k_values_are_checked_after_reduce_zero_label(tmp_path):
    root = write_ade20k_like(str(tmp_path), splits=('train', ), **SIZE)
    path = sorted(glob.glob(osp.join(root, 'annotations/training/*.png')))[0]
    # 0 (other) and 255 are ignored, 1-150 are classes: all accepted.
    overwrite(path, np.array([[0, 1, 150, 255]], np.uint8))
    ade20k(root)
    overwrite(path, np.array([[0, 151, 200]], np.uint8))
    with pytest.raises(
            ValueError,
            match=re.escape(path) + r' has label values '
            r'\[151, 200\], beyond 0-150, 255 .*reduce_zero_label'):
        ade20k(root)


def test_all_ignored_labels_are_refused(city_root):
    for index in range(4):
        overwrite(label_path(city_root, index), np.full((4, 4), 255, np.uint8))
    with pytest.raises(
            ValueError,
            match='every label map read .4, e.g. .*holds only the '
            'ignored label 255.*loss of 0.*test_mode=True'):
        cityscapes(city_root)
    # A split without labels (Cityscapes test) is read in test mode.
    assert len(cityscapes(city_root, test_mode=True)) == 4


def test_ade20k_labels_all_other_are_all_ignored(tmp_path):
    root = write_ade20k_like(str(tmp_path), splits=('train', ), **SIZE)
    for path in glob.glob(osp.join(root, 'annotations/training/*.png')):
        overwrite(path, np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match='holds only the ignored label 255'):
        ade20k(root)


def test_missing_label_map_is_refused_by_name(city_root):
    os.remove(label_path(city_root, 3))
    with pytest.raises(FileNotFoundError) as error:
        cityscapes(city_root)
    assert str(error.value).startswith(
        'CheckedCityscapesDataset: 1 image(s) of '
        f'{osp.join(city_root, "leftImg8bit/train")} have no label map, e.g. '
        f'{label_path(city_root, 3)}. Expected leftImg8bit/')


def test_voc_name_without_image_is_refused(tmp_path):
    root = write_voc_like(str(tmp_path), num_images=2)
    os.remove(osp.join(root, 'JPEGImages', '2007_train0001.jpg'))
    with pytest.raises(
            FileNotFoundError,
            match='1 image.* of .*train.txt have no image file, '
            r'e.g. .*2007_train0001.jpg'):
        voc(root)


def test_voc_palette_png_reads_as_indices(tmp_path):
    """VOC ships palette PNGs: mmseg's pillow decoding keeps the indices."""
    from PIL import Image
    root = write_voc_like(str(tmp_path), num_images=1)
    path = osp.join(root, 'SegmentationClass', '2007_train0000.png')
    image = Image.fromarray(np.array([[0, 15, 255]], np.uint8), mode='P')
    image.putpalette([value % 256 for value in range(768)])
    image.save(path)
    assert list(np.unique(voc(root)[0]['gt_seg_map'])) == [0, 15, 255]


def test_colour_and_16_bit_label_maps_are_refused(city_root):
    path = label_path(city_root, 0)
    overwrite(path, np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(
            ValueError,
            match='not a single-channel label map '
            r'\(it reads as uint8 of shape \(4, 4, 3\)\)'):
        cityscapes(city_root)
    overwrite(path, np.array([[1, 300]], np.uint16))
    with pytest.raises(ValueError, match='label values 1, 300, beyond 0-255'):
        cityscapes(city_root)


def test_the_sample_and_check_labels_all(city_root):
    # 4 images, 2 read: the first and the last.
    assert checked_indices(4, 2) == [0, 3]
    overwrite(label_path(city_root, 1), np.full((2, 2), 40, np.uint8))
    assert len(cityscapes(city_root, check_labels=2)) == 4
    with pytest.raises(ValueError, match=r'values \[40\]'):
        cityscapes(city_root, check_labels='all')
    with pytest.raises(ValueError, match=r'values \[40\]'):
        cityscapes(city_root)  # the default (16) reads all of 4


def test_checked_indices_spread_evenly():
    picked = checked_indices(3000, 16)
    assert len(picked) == 16 and picked[0] == 0 and picked[-1] == 2999
    assert max(np.diff(picked)) - min(np.diff(picked)) <= 1
    assert picked == checked_indices(3000, 16)
    everything = [0, 1, 2, 3, 4]
    assert checked_indices(5, 'all') == checked_indices(5, 9) == everything
    assert checked_indices(5, 0) == []


@pytest.mark.parametrize('bad', [-1, 'some', 2.5, True])
def test_bad_check_labels_names_the_fix(city_root, bad):
    with pytest.raises(
            ValueError,
            match=r"check_labels must be .*int >= 0.*"
            r"or 'all', got"):
        cityscapes(city_root, check_labels=bad)


def test_pipeline_without_labels_needs_no_label_maps(city_root):
    os.remove(label_path(city_root, 0))
    dataset = cityscapes(city_root, pipeline=[dict(type='LoadImageFromFile')])
    assert len(dataset) == 4


def test_empty_split_is_refused(tmp_path):
    os.makedirs(tmp_path / 'leftImg8bit' / 'train')
    with pytest.raises(ValueError, match='holds no _leftImg8bit.png image'):
        cityscapes(str(tmp_path))


@pytest.mark.parametrize('reduce_zero_label,classes', [
    (True, None),
    (False, ('road', 'car')),
    (True, ('wall', 'sky')),
])
def test_mapping_is_mmseg_s(tmp_path, reduce_zero_label, classes):
    """The values checked are those mmseg's LoadAnnotations produces."""
    path = str(tmp_path / 'labels.png')
    raw = np.arange(256, dtype=np.uint8).reshape(16, 16)
    overwrite(path, raw)
    dataset_type = DATASETS.get('CheckedADE20KDataset' if classes != (
        'road', 'car') else 'CheckedCityscapesDataset')
    label_map = dataset_type.get_label_map(classes)
    results = LoadAnnotations()(
        dict(
            seg_map_path=path,
            reduce_zero_label=reduce_zero_label,
            label_map=label_map,
            seg_fields=[]))
    rules = LabelRules('D', 2 if classes else 150, 255, reduce_zero_label,
                       label_map, 'layout')
    np.testing.assert_array_equal(
        map_labels(raw, rules), results['gt_seg_map'])


def test_allowed_values_read_as_ranges():
    rules = LabelRules('D', 11, 255, False, {11: 255}, 'layout')
    assert format_values(allowed_file_values(rules)) == '0-11, 255'
    ade = LabelRules('D', 150, 255, True, None, 'layout')
    assert format_values(allowed_file_values(ade)) == '0-150, 255'


def test_voc_config_checks_both_training_lists(tmp_path):
    """The VOC base's ConcatDataset of train and aug checks each."""
    root = write_voc_like(str(tmp_path), num_images=2)
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/datasets/voc12aug-512x512.py'))
    train, aug = cfg.train_dataloader.dataset.datasets
    assert train.type == aug.type == 'CheckedPascalVOCDataset'
    assert aug.data_prefix.seg_map_path == 'SegmentationClassAug'
    assert cfg.test_dataloader.dataset.type == 'CheckedPascalVOCDataset'
    aug.data_root = root
    assert len(build(aug)) == 2
    overwrite(
        osp.join(root, 'SegmentationClassAug', '2007_aug0001.png'),
        np.full((2, 2), 21, np.uint8))
    with pytest.raises(
            ValueError,
            match=r'2007_aug0001.png has label '
            r'values \[21\], beyond 0-20, 255'):
        build(aug)


@pytest.mark.parametrize('base,dataset_type', [
    ('cityscapes-512x1024.py', 'CheckedCityscapesDataset'),
    ('ade20k-512x512.py', 'CheckedADE20KDataset'),
    ('cityscapes-trainextra-unl-512x1024.py', 'CheckedCityscapesDataset'),
])
def test_config_bases_name_the_checked_types(base, dataset_type):
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/datasets', base))
    train = cfg.train_dataloader.dataset
    if train.type == 'ConcatDataset':
        train = train.datasets[0]
    assert train.type == dataset_type
    assert cfg.val_dataloader.dataset.type == dataset_type
    assert cfg.test_dataloader.dataset.type == dataset_type

# Copyright (c) mmskd contributors. All rights reserved.
"""UnlabelledImageDataset: a folder of images that joins a labelled set."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.dataset import ConcatDataset
from mmengine.registry import init_default_scope
from mmseg.registry import DATASETS

import mmskd  # noqa: F401  (registers the dataset)
from mmskd.datasets import UnlabelledImageDataset, placeholder_pipeline
from mmskd.structures import is_labelled
from mmskd.testing import CWD_LOGITS, tiny_cfg, write_cityscapes_with_extra

EXTRA = 'leftImg8bit/train_extra'


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    return write_cityscapes_with_extra(
        str(tmp_path_factory.mktemp('cityscapes')), num_images=3)


@pytest.fixture(scope='module')
def cfg(root):
    init_default_scope('mmseg')
    return tiny_cfg(CWD_LOGITS, root)


def unlabelled(cfg, root, **kwargs) -> UnlabelledImageDataset:
    args = dict(
        type='UnlabelledImageDataset',
        data_root=root,
        data_prefix=dict(img_path=EXTRA),
        metainfo_from='CityscapesDataset',
        pipeline=copy.deepcopy(cfg.train_dataloader.dataset.pipeline))
    args.update(kwargs)
    return DATASETS.build(args)


def test_lists_the_folder_and_marks_every_sample_unlabelled(cfg, root):
    dataset = unlabelled(cfg, root)
    assert len(dataset) == 3
    assert all(info['img_path'].startswith(osp.join(root, EXTRA))
               for info in (dataset.get_data_info(i) for i in range(3)))
    data = dataset[0]
    sample = data['data_samples']
    assert not is_labelled(sample)
    # The placeholder label has the (augmented) image's size and carries no
    # class.
    label = sample.gt_sem_seg.data
    assert label.shape == (1, *data['inputs'].shape[-2:])
    assert (label == 255).all()


def test_labelled_samples_stay_labelled(cfg):
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    sample = labelled[0]['data_samples']
    assert is_labelled(sample)
    assert (sample.gt_sem_seg.data != 255).any()


def test_concatenates_with_the_labelled_set(cfg, root):
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    both = ConcatDataset([labelled, unlabelled(cfg, root)])
    assert len(both) == len(labelled) + 3
    flags = [is_labelled(both[i]['data_samples']) for i in range(len(both))]
    assert flags == [True] * len(labelled) + [False] * 3
    assert both.metainfo['classes'] == labelled.metainfo['classes']


def test_without_metainfo_concatdataset_refuses_the_pair(cfg, root):
    """Why metainfo_from exists: the pair needs one metainfo."""
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    with pytest.raises(ValueError, match='meta information'):
        ConcatDataset(
            [labelled, unlabelled(cfg, root, metainfo_from=None)])


def test_metainfo_from_a_dataset_config(cfg, root):
    source = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset = unlabelled(cfg, root, metainfo_from=source)
    assert dataset.metainfo == DATASETS.build(source).metainfo


def test_indices_take_the_first_images(cfg, root):
    dataset = unlabelled(cfg, root, indices=2)
    paths = [dataset.get_data_info(i)['img_path'] for i in range(2)]
    assert len(dataset) == 2 and paths == sorted(paths)


def test_missing_folder_names_it(cfg, tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist') as error:
        unlabelled(cfg, str(tmp_path))
    assert osp.join(str(tmp_path), EXTRA) in str(error.value)
    assert 'data_prefix' in str(error.value)


def test_empty_folder_names_it_and_the_fix(cfg, tmp_path):
    (tmp_path / EXTRA).mkdir(parents=True)
    (tmp_path / EXTRA / '.DS_Store').write_bytes(b'\0')  # hidden: skipped
    with pytest.raises(ValueError, match='holds no image') as error:
        unlabelled(cfg, str(tmp_path))
    assert str(tmp_path / EXTRA) in str(error.value)


def test_file_of_another_kind_is_named(cfg, tmp_path):
    folder = tmp_path / EXTRA
    folder.mkdir(parents=True)
    cv2.imwrite(str(folder / 'a.png'), np.zeros((8, 8, 3), np.uint8))
    (folder / 'notes.txt').write_text('not an image')
    with pytest.raises(ValueError, match='notes.txt is not an image') as e:
        unlabelled(cfg, str(tmp_path))
    assert 'img_suffix' in str(e.value)
    # Selecting the images by suffix skips the note.
    assert len(unlabelled(cfg, str(tmp_path), img_suffix='.png')) == 1


def test_undecodable_image_is_named(cfg, tmp_path):
    folder = tmp_path / EXTRA
    folder.mkdir(parents=True)
    (folder / 'broken.png').write_bytes(b'this is no png')
    with pytest.raises(ValueError, match='broken.png is not an image'):
        unlabelled(cfg, str(tmp_path))


def test_suffix_that_matches_nothing(cfg, root):
    with pytest.raises(ValueError, match="no file ending with '.jpg'"):
        unlabelled(cfg, root, img_suffix='.jpg')


def test_pipeline_keeps_every_step_but_the_loader(cfg):
    pipeline = cfg.train_dataloader.dataset.pipeline
    replaced = placeholder_pipeline(pipeline)
    assert [step['type'] for step in replaced] == [
        step['type'] if step['type'] != 'LoadAnnotations' else
        'PlaceholderAnnotation' for step in pipeline
    ]
    assert replaced[1]['field'] == 'gt_seg_map'
    assert replaced[1]['fill_value'] == 255
    # A pipeline with the placeholder already in place is kept.
    assert placeholder_pipeline(replaced) == replaced


def test_depth_loader_gets_a_depth_placeholder():
    from mmskd.datasets.transforms import PlaceholderAnnotation
    replaced = placeholder_pipeline([
        dict(type='LoadImageFromFile'),
        dict(type='LoadUInt16DepthAnnotation', depth_rescale_factor=1e-3),
        dict(type='PackSegInputs')
    ])
    assert replaced[1] == dict(
        type='PlaceholderAnnotation',
        field='gt_depth_map',
        fill_value=None,
        _scope_='mmseg')
    results = PlaceholderAnnotation('gt_depth_map')(
        dict(img=np.zeros((4, 6, 3), np.uint8), seg_fields=[]))
    assert results['gt_depth_map'].dtype == np.float32
    assert results['gt_depth_map'].shape == (4, 6)
    assert not results['gt_depth_map'].any()
    assert results['seg_fields'] == ['gt_depth_map']


def test_unknown_annotation_loader_is_refused():
    with pytest.raises(ValueError, match='no placeholder for '
                       'LoadBiomedicalAnnotation'):
        placeholder_pipeline([dict(type='LoadBiomedicalAnnotation')])


def test_placeholder_before_the_image_names_the_order():
    from mmskd.datasets.transforms import PlaceholderAnnotation
    with pytest.raises(KeyError, match='after LoadImageFromFile'):
        PlaceholderAnnotation()(dict(seg_fields=[]))


def test_collated_batch_keeps_the_flags(cfg, root):
    from mmengine.dataset import pseudo_collate
    labelled = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([labelled[0], unlabelled(cfg, root)[0]])
    from mmseg.models import SegDataPreProcessor
    data = SegDataPreProcessor(size=(64, 128))(batch, training=True)
    assert [is_labelled(s) for s in data['data_samples']] == [True, False]
    assert isinstance(data['inputs'], torch.Tensor)

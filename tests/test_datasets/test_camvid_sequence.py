# Copyright (c) mmskd contributors. All rights reserved.
"""CamVid sequences: neighbours named as CamVid names its video frames."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmskd.datasets  # noqa: F401
from mmskd.testing import REPO

SEQ_BASE = osp.join(REPO, 'configs/_base_/datasets/camvid-seq-360x480.py')
# One labelled frame of each kind of CamVid name: 6 digits, a letter
# prefix, 5 digits.
LABELLED = ('0001TP_006690', '0006R0_f02430', '0016E5_07959')
GAPS = (1, 2, 3)
HEIGHT, WIDTH = 24, 32


def _neighbour(stem: str, offset: int) -> str:
    video, frame = stem.split('_')
    letters = frame.rstrip('0123456789')
    digits = frame[len(letters):]
    return f'{video}_{letters}{int(digits) + offset:0{len(digits)}d}'


def write_camvid_sequences(root: str) -> str:
    """Labelled frames with label maps (void 11 included) and every frame
    within 3 of them in ``sequences/``, each frame filled with its offset
    from the labelled one plus 10."""
    for folder in ('train', 'trainannot', 'sequences'):
        os.makedirs(osp.join(root, folder), exist_ok=True)
    for stem in LABELLED:
        labels = np.full((HEIGHT, WIDTH), 3, np.uint8)
        labels[0] = 11  # void
        cv2.imwrite(osp.join(root, 'trainannot', f'{stem}.png'), labels)
        for offset in range(-3, 4):
            image = np.full((HEIGHT, WIDTH, 3), 10 + offset, np.uint8)
            name = f'{_neighbour(stem, offset)}.png'
            cv2.imwrite(osp.join(root, 'sequences', name), image)
            if offset == 0:
                cv2.imwrite(osp.join(root, 'train', name), image)
    return root


@pytest.fixture
def root(tmp_path) -> str:
    return write_camvid_sequences(str(tmp_path / 'CamVid'))


def build(root: str, **overrides):
    from mmseg.registry import DATASETS
    cfg = Config.fromfile(SEQ_BASE).train_dataloader.dataset
    cfg.data_root = root
    # Whole frames, unchanged: the values tell the frames apart.
    cfg.pipeline = [
        step for step in cfg.pipeline
        if step.type in ('LoadSequenceFrames', 'LoadSequenceAnnotations',
                         'PackSequenceInputs')
    ]
    cfg.update(overrides)
    with DefaultScope.overwrite_default_scope('mmseg'):
        return DATASETS.build(cfg)


def test_triplets_keep_each_video_s_frame_names(root):
    dataset = build(root)
    assert len(dataset) == 3
    np.random.seed(0)
    gaps = set()
    for index, stem in enumerate(sorted(LABELLED)):
        for _ in range(10):
            info = dataset.get_data_info(index)
            gap = info['frame_offsets'][2]
            assert info['frame_offsets'] == (-gap, 0, gap)
            assert [osp.basename(path) for path in info['frame_paths']] == [
                f'{_neighbour(stem, offset)}.png' for offset in (-gap, 0, gap)
            ]
            gaps.add(gap)
    assert gaps == set(GAPS)
    sample = dataset[0]
    gap = sample['data_samples'].metainfo['frame_offsets'][2]
    frames = sample['inputs'].numpy().reshape(3, 3, HEIGHT, WIDTH)
    assert [int(frame[0, 0, 0]) for frame in frames] == \
        [10 - gap, 10, 10 + gap]
    # Labels of the labelled frame only, void mapped to mmseg's ignore.
    labels = sample['data_samples'].gt_sem_seg.data.numpy()[0]
    assert set(np.unique(labels[0])) == {255}
    assert set(np.unique(labels[1:])) == {3}


def test_missing_neighbour_is_named(root):
    os.remove(osp.join(root, 'sequences', '0006R0_f02427.png'))
    build(root, gaps=(1, 2))  # frames 2428..2432 suffice
    with pytest.raises(FileNotFoundError, match='0006R0_f02427.png'):
        build(root)


def test_sequence_folder_with_a_gap_is_named(root):
    os.remove(osp.join(root, 'sequences', '0016E5_07961.png'))
    with pytest.raises(ValueError, match='gap.*0016E5_07961.png'):
        build(root)


def test_eval_offsets_of_the_test_split(root):
    cfg = Config.fromfile(SEQ_BASE)
    assert cfg.test_dataloader.dataset.eval_offsets == (0, 1)
    assert cfg.test_evaluator.type == 'mmskd.TemporalConsistencyMetric'
    dataset = build(root, eval_offsets=(0, 1))
    info = dataset.get_data_info(1)
    assert [osp.basename(path) for path in info['frame_paths']] == \
        ['0006R0_f02430.png', '0006R0_f02431.png']
    assert info['flow_pairs'] == ((0, 1), )

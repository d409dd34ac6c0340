# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets: CamVid, mmseg's Cityscapes, ADE20K, VOC and NYU checked at load
(:mod:`.checked_datasets`), the multi-task datasets (NYUD-v2, SUNRGBD), the
frame-sequence dataset, unlabelled images and their transforms, registered
in mmseg's ``DATASETS`` and ``TRANSFORMS`` (the scope that builds
segmentation, depth and multi-task configs' data), and the writers of
the on-disk layouts mmseg reads (:mod:`.layouts`; the demo's scenes are in
:mod:`mmskd.demo`)."""
from .camvid import CamVidDataset
from .camvid_sequence import CamVidSequenceDataset
from .checked_datasets import (CheckedADE20KDataset, CheckedCityscapesDataset,
                               CheckedLabelsMixin, CheckedNYUDataset,
                               CheckedPascalVOCDataset)
from .cityscapes_sequence import CityscapesSequenceDataset
from .layouts import (cityscapes_paths, write_cityscapes_split,
                      write_image_and_labels)
from .multi_task_dataset import (MultiTaskDataset, NYUDv2MultiTaskDataset,
                                 SUNRGBDMultiTaskDataset)
from .transforms import *  # noqa: F401,F403
from .unlabelled_images import UnlabelledImageDataset, placeholder_pipeline

__all__ = [
    'CamVidDataset', 'CamVidSequenceDataset', 'CheckedADE20KDataset',
    'CheckedCityscapesDataset', 'CheckedLabelsMixin', 'CheckedNYUDataset',
    'CheckedPascalVOCDataset', 'CityscapesSequenceDataset',
    'MultiTaskDataset', 'NYUDv2MultiTaskDataset', 'SUNRGBDMultiTaskDataset',
    'UnlabelledImageDataset', 'cityscapes_paths', 'placeholder_pipeline',
    'write_cityscapes_split', 'write_image_and_labels'
]

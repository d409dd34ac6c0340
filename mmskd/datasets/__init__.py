# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets: CamVid, mmseg's Cityscapes, ADE20K, VOC and NYU checked at load
(:mod:`.checked_datasets`), the frame-sequence dataset, unlabelled images, the
demo's generated scenes (in layouts mmseg reads) and their transforms,
registered in mmseg's ``DATASETS`` and ``TRANSFORMS`` (the scope that builds
segmentation and depth configs' data)."""
from .camvid import CamVidDataset
from .camvid_sequence import CamVidSequenceDataset
from .checked_datasets import (CheckedADE20KDataset, CheckedCityscapesDataset,
                               CheckedLabelsMixin, CheckedNYUDataset,
                               CheckedPascalVOCDataset)
from .cityscapes_sequence import CityscapesSequenceDataset
from .layouts import (cityscapes_paths, write_cityscapes_split,
                      write_image_and_labels)
from .scenes import CLASSES_USED, OBJECT_CLASSES, render_scene, write_scenes
from .transforms import *  # noqa: F401,F403
from .unlabelled_images import UnlabelledImageDataset, placeholder_pipeline

__all__ = [
    'CLASSES_USED', 'OBJECT_CLASSES', 'CamVidDataset', 'CamVidSequenceDataset',
    'CheckedADE20KDataset', 'CheckedCityscapesDataset', 'CheckedLabelsMixin',
    'CheckedNYUDataset', 'CheckedPascalVOCDataset',
    'CityscapesSequenceDataset', 'UnlabelledImageDataset', 'cityscapes_paths',
    'placeholder_pipeline', 'render_scene', 'write_cityscapes_split',
    'write_image_and_labels', 'write_scenes'
]

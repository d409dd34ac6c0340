# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets: the demo's generated scenes (in layouts mmseg reads), and the
frame-sequence dataset and transforms, registered in mmseg's ``DATASETS``
and ``TRANSFORMS`` (the scope that builds a segmentation config's data)."""
from .cityscapes_sequence import CityscapesSequenceDataset
from .layouts import (cityscapes_paths, write_cityscapes_split,
                      write_image_and_labels)
from .scenes import CLASSES_USED, OBJECT_CLASSES, render_scene, write_scenes
from .transforms import *  # noqa: F401,F403

__all__ = [
    'CLASSES_USED', 'OBJECT_CLASSES', 'CityscapesSequenceDataset',
    'cityscapes_paths', 'render_scene', 'write_cityscapes_split',
    'write_image_and_labels', 'write_scenes'
]

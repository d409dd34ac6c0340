# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets mmskd generates: the demo's scenes, in layouts mmseg reads."""
from .layouts import (cityscapes_paths, write_cityscapes_split,
                      write_image_and_labels)
from .scenes import CLASSES_USED, OBJECT_CLASSES, render_scene, write_scenes

__all__ = [
    'CLASSES_USED', 'OBJECT_CLASSES', 'cityscapes_paths', 'render_scene',
    'write_cityscapes_split', 'write_image_and_labels', 'write_scenes'
]

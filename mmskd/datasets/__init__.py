# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets and transforms, registered in mmseg's ``DATASETS`` and
``TRANSFORMS`` (the scope that builds a segmentation config's data)."""
from .cityscapes_sequence import CityscapesSequenceDataset
from .transforms import *  # noqa: F401,F403

__all__ = ['CityscapesSequenceDataset']

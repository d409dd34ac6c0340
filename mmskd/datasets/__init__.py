# Copyright (c) mmskd contributors. All rights reserved.
"""Datasets and transforms, registered in mmseg's registries (the scope that
builds segmentation and depth configs' data)."""
from .camvid import CamVidDataset
from .transforms import *  # noqa: F401,F403
from .unlabelled_images import UnlabelledImageDataset, placeholder_pipeline

__all__ = ['CamVidDataset', 'UnlabelledImageDataset', 'placeholder_pipeline']

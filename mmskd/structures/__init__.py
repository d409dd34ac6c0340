# Copyright (c) mmskd contributors. All rights reserved.
from .labelled import LABELLED_KEY, is_labelled, mark_unlabelled
from .surface_normals import (MIN_NORM, MIRRORED_AXES, has_normal,
                              mirror_normals)

__all__ = [
    'LABELLED_KEY', 'is_labelled', 'mark_unlabelled', 'MIN_NORM',
    'MIRRORED_AXES', 'has_normal', 'mirror_normals'
]

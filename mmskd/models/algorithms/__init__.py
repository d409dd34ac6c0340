# Copyright (c) mmskd contributors. All rights reserved.
from .holistic_distill import HolisticDistill
from .structured_distill import StructuredDistill
from .temporal_training import TemporalTraining
from .video_distill import VideoDistill

__all__ = [
    'HolisticDistill', 'StructuredDistill', 'TemporalTraining', 'VideoDistill'
]

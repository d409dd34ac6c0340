# Copyright (c) mmskd contributors. All rights reserved.
from .holistic_distill import HolisticDistill
from .knowledge_adaptation_distill import KnowledgeAdaptationDistill
from .knowledge_translator_pretrain import KnowledgeTranslatorPretrain
from .structured_distill import StructuredDistill
from .temporal_training import TemporalTraining
from .video_distill import VideoDistill

__all__ = [
    'HolisticDistill', 'KnowledgeAdaptationDistill',
    'KnowledgeTranslatorPretrain', 'StructuredDistill', 'TemporalTraining',
    'VideoDistill'
]

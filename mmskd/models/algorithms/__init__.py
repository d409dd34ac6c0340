# Copyright (c) mmskd contributors. All rights reserved.
from .holistic_distill import HolisticDistill
from .knowledge_adaptation_distill import KnowledgeAdaptationDistill
from .knowledge_translator_pretrain import KnowledgeTranslatorPretrain
from .structured_distill import StructuredDistill

__all__ = [
    'HolisticDistill', 'KnowledgeAdaptationDistill',
    'KnowledgeTranslatorPretrain', 'StructuredDistill'
]

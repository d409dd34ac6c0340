# Copyright (c) mmskd contributors. All rights reserved.
from .conv_adapter import ConvAdapter, conv_bn_relu_stack
from .knowledge_translator import KnowledgeTranslator, translator_encoder
from .translator_checkpoint import (check_same_teacher, decode_identity,
                                    encode_identity,
                                    read_translator_checkpoint,
                                    teacher_identity)
from .translator_encoder import TranslatorEncoder

__all__ = [
    'ConvAdapter', 'conv_bn_relu_stack', 'KnowledgeTranslator',
    'translator_encoder', 'TranslatorEncoder', 'check_same_teacher',
    'decode_identity', 'encode_identity', 'read_translator_checkpoint',
    'teacher_identity'
]

# Copyright (c) mmskd contributors. All rights reserved.
from .sequence_data_preprocessor import SequenceDataPreProcessor

__all__ = ['SequenceDataPreProcessor']

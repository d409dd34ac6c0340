# Copyright (c) mmskd contributors. All rights reserved.
from .multi_task_data_preprocessor import MultiTaskDataPreProcessor
from .sequence_data_preprocessor import SequenceDataPreProcessor

__all__ = ['MultiTaskDataPreProcessor', 'SequenceDataPreProcessor']

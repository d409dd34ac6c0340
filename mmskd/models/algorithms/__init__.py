# Copyright (c) mmskd contributors. All rights reserved.
from .holistic_distill import HolisticDistill
from .structured_distill import StructuredDistill

__all__ = ['HolisticDistill', 'StructuredDistill']

# Copyright (c) mmskd contributors. All rights reserved.
from .structured_distill import StructuredDistill

__all__ = ['StructuredDistill']

# Copyright (c) mmskd contributors. All rights reserved.
from .structured_distiller import StructuredDistiller, check_recorder_sources

__all__ = ['StructuredDistiller', 'check_recorder_sources']

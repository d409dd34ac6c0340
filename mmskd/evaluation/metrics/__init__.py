# Copyright (c) mmskd contributors. All rights reserved.
from .temporal_consistency import TemporalConsistencyMetric

__all__ = ['TemporalConsistencyMetric']

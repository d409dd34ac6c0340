# Copyright (c) mmskd contributors. All rights reserved.
"""Seeing what distillation does: a teacher and a student side by side.

The inference that fills a :class:`PairRecord` is in :mod:`mmskd.apis`.
"""
from .distill_maps import (affinity_row, channel_distributions,
                           channel_divergences, disagreement, node_of,
                           top_channels)
from .distill_visualizer import DistillVisualizer
from .pair_panels import PairRecord, TermMaps, draw_pair, pick_term, stem_of

__all__ = [
    'affinity_row', 'channel_distributions', 'channel_divergences',
    'disagreement', 'node_of', 'top_channels', 'DistillVisualizer',
    'PairRecord', 'TermMaps', 'draw_pair', 'pick_term', 'stem_of'
]

# Copyright (c) mmskd contributors. All rights reserved.
"""Seeing what distillation does: a teacher and a student side by side."""
from .distill_maps import (affinity_row, channel_distributions,
                           channel_divergences, disagreement, node_of,
                           top_channels)
from .distill_visualizer import DistillVisualizer
from .pair_inference import (PairRecord, TermMaps, init_model,
                             predict_images, predict_labels, preprocess,
                             run_pair, test_pipeline)
from .pair_panels import draw_pair, pick_term, stem_of
from .prediction_grid import save_prediction_grid

__all__ = [
    'affinity_row', 'channel_distributions', 'channel_divergences',
    'disagreement', 'node_of', 'top_channels', 'DistillVisualizer',
    'PairRecord', 'TermMaps', 'init_model', 'predict_images',
    'predict_labels', 'preprocess',
    'run_pair', 'test_pipeline', 'draw_pair', 'pick_term', 'stem_of',
    'save_prediction_grid'
]

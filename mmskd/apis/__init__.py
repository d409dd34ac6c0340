# Copyright (c) mmskd contributors. All rights reserved.
"""Run trained models outside the Runner, as ``mmseg.apis`` does."""
from .inference import (critic_scores, init_model, predict_images,
                        predict_labels, preprocess, recorded_terms, run_pair,
                        test_pipeline)

__all__ = [
    'init_model', 'test_pipeline', 'preprocess', 'predict_labels',
    'predict_images', 'recorded_terms', 'critic_scores', 'run_pair'
]

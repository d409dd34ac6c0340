# Copyright (c) mmskd contributors. All rights reserved.
"""The tasks a multi-task network knows, each named by what it predicts."""

# The field of a data sample each task's prediction is written to.
PREDICTION_FIELDS = dict(
    seg='pred_sem_seg', depth='pred_depth_map', normals='pred_normals')
TASKS = tuple(PREDICTION_FIELDS)

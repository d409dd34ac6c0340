# Copyright (c) mmskd contributors. All rights reserved.
"""The search's reward: the geometric mean of the task metrics (thesis
§6.3.4)."""
import math
from typing import Collection, Dict


def geometric_mean_reward(metrics: Dict[str, float],
                          lower_is_better: Collection[str] = ()) -> float:
    """The geometric mean of the metrics, a lower-is-better one inverted.

    A lower-is-better metric (a depth error) enters as its inverse, so that
    the ratio of two structures' rewards is the geometric mean of their
    metrics' ratios: every metric's relative improvement counts the same,
    whatever its unit.

    Args:
        metrics (dict): Metric name -> value: a lower-is-better one
            positive, another 0 or more (0 makes the reward 0).
        lower_is_better (Collection[str]): The metrics to invert.

    Returns:
        float: The reward.

    Raises:
        ValueError: If a metric is negative, or a lower-is-better one 0.
    """
    if not metrics:
        raise ValueError('A reward needs at least one metric.')
    logs = []
    for name, value in metrics.items():
        inverted = name in lower_is_better
        if value < 0 or (inverted and value == 0):
            raise ValueError(
                f'The reward is a geometric mean: metric {name} must be '
                f'{"positive" if inverted else "0 or more"}, got {value}.')
        if value == 0:  # a structure that learnt nothing scores 0
            return 0.
        logs.append(-math.log(value) if inverted else math.log(value))
    return math.exp(sum(logs) / len(logs))

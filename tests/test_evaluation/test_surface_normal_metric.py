# Copyright (c) mmskd contributors. All rights reserved.
"""SurfaceNormalMetric against angle errors chosen by hand."""
import numpy as np
import pytest
import torch

from mmskd.evaluation import SurfaceNormalMetric


def rotated(angles_deg):
    """Unit normals at the given angles from (0, 0, -1), in the x-z plane,
    as a (3, 1, N) map, and the (3, 1, N) map of (0, 0, -1)."""
    angles = np.deg2rad(np.asarray(angles_deg, dtype=np.float64))
    predicted = np.stack(
        [np.sin(angles),
         np.zeros_like(angles), -np.cos(angles)])[:, None]
    target = np.zeros_like(predicted)
    target[2] = -1
    return (torch.from_numpy(predicted).float(),
            torch.from_numpy(target).float())


def result(predicted, target):
    return dict(
        pred_normals=dict(data=predicted), gt_normals=dict(data=target))


def test_metrics_of_errors_chosen_by_hand():
    metric = SurfaceNormalMetric()
    first = rotated([5, 15.03, 25])
    second = rotated([40, 2, 90])
    # A pixel without a true normal is left out, whatever is predicted.
    second[1][:, :, 2] = 0
    metric.process({}, [result(*first), result(*second)])
    values = metric.compute_metrics(metric.results)
    errors = [5, 15.03, 25, 40, 2]
    assert values['normal_mean'] == pytest.approx(np.mean(errors), abs=1e-3)
    # The median (15.03) to within half a histogram bin (0.05 degrees).
    assert values['normal_median'] == pytest.approx(15.03, abs=0.05)
    assert values['normal_11.25'] == pytest.approx(100 * 2 / 5)
    assert values['normal_22.5'] == pytest.approx(100 * 3 / 5)
    assert values['normal_30'] == pytest.approx(100 * 4 / 5)


def test_median_of_an_even_count_is_between_the_middle_two():
    metric = SurfaceNormalMetric()
    metric.process({}, [result(*rotated([1, 3, 7.02, 60]))])
    values = metric.compute_metrics(metric.results)
    assert values['normal_median'] == pytest.approx(5.01, abs=0.05)


def test_no_true_normal_and_other_shapes_are_named():
    metric = SurfaceNormalMetric()
    predicted, target = rotated([10])
    metric.process({}, [result(predicted, torch.zeros_like(target))])
    with pytest.raises(ValueError, match='has a true normal'):
        metric.compute_metrics(metric.results)
    with pytest.raises(ValueError, match='differ in shape'):
        metric.process({}, [result(predicted, torch.zeros(3, 2, 1))])
    with pytest.raises(KeyError, match='LoadSurfaceNormals'):
        metric.process({}, [dict(pred_normals=dict(data=predicted))])

# Copyright (c) mmskd contributors. All rights reserved.
import itertools

import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import PixelData
from mmseg.evaluation import IoUMetric
from mmseg.structures import SegDataSample

import mmskd  # noqa: F401
from mmskd.evaluation import TemporalConsistencyMetric
from mmskd.models.flow import write_flo

CLASSES = ('road', 'car', 'tree', 'sky')
HEIGHT, WIDTH = 12, 14
DX, DY = 2, 1  # the scene moves right by 2 and down by 1 per frame


def moving_sequence(num_frames=4, seed=0):
    """Label maps of a scene that moves by (DX, DY) pixels per frame, and
    the true flows between neighbouring frames."""
    generator = torch.Generator().manual_seed(seed)
    blocks = torch.randint(
        0, 4, (HEIGHT // 2, WIDTH // 2), generator=generator)
    first = blocks.repeat_interleave(2, 0).repeat_interleave(2, 1)
    frames = torch.stack([
        torch.roll(first, shifts=(i * DY, i * DX), dims=(0, 1))
        for i in range(num_frames)
    ])
    flows = torch.zeros(num_frames - 1, 2, HEIGHT, WIDTH)
    flows[:, 0], flows[:, 1] = DX, DY
    return frames, flows


def sample(preds, flows, gt=None, pred=None):
    """One data sample in the form the evaluator hands to ``process``."""
    return dict(
        pred_sem_seg=dict(data=(preds[0] if pred is None else pred)[None]),
        gt_sem_seg=dict(data=(preds[0] if gt is None else gt)[None]),
        seq_pred_sem_seg=dict(data=preds),
        seq_flow=flows)


def evaluate(samples):
    metric = TemporalConsistencyMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def reference_tc(sequences):
    """Per-class intersection / union of P_t and P_{t+1}(i + δi), pixel by
    pixel over all pairs with a source inside the frame, then the mean."""
    inter = np.zeros(len(CLASSES))
    union = np.zeros(len(CLASSES))
    for preds, flows in sequences:
        for t in range(len(preds) - 1):
            for y, x in itertools.product(range(HEIGHT), range(WIDTH)):
                src_x = x + int(flows[t, 0, y, x])
                src_y = y + int(flows[t, 1, y, x])
                if not (0 <= src_x < WIDTH and 0 <= src_y < HEIGHT):
                    continue
                a, b = int(preds[t, y, x]), int(preds[t + 1, src_y, src_x])
                inter[a] += a == b
                union[a] += 1
                union[b] += a != b
    return np.nanmean(
        np.where(union > 0, inter / np.maximum(union, 1), np.nan)) * 100


def test_a_perfectly_consistent_predictor_scores_100():
    preds, flows = moving_sequence()
    metrics = evaluate([sample(preds, flows)])
    assert metrics['TC'] == 100.0
    assert metrics['mIoU'] == 100.0


def test_a_flickering_predictor_scores_lower():
    preds, flows = moving_sequence()
    flicker = preds.clone()
    flicker[2, 3:9, 4:10] = (flicker[2, 3:9, 4:10] + 1) % 4
    tc = evaluate([sample(flicker, flows)])['TC']
    expected = reference_tc([(flicker, flows)])
    assert tc < 95
    assert tc == pytest.approx(expected, abs=0.006)


def test_a_predictor_that_ignores_the_motion_scores_lower():
    preds, flows = moving_sequence()
    frozen = preds[:1].expand_as(preds).clone()
    tc = evaluate([sample(frozen, flows)])['TC']
    assert tc < 90
    assert tc == pytest.approx(reference_tc([(frozen, flows)]), abs=0.006)


def test_areas_accumulate_over_pairs_and_sequences():
    first = moving_sequence(3, seed=1)
    second = moving_sequence(5, seed=2)
    noisy = second[0].clone()
    noisy[1:, ::3, ::2] = 0
    tc = evaluate([sample(*first), sample(noisy, second[1])])['TC']
    expected = reference_tc([first, (noisy, second[1])])
    assert tc == pytest.approx(expected, abs=0.006)
    mean_of_sequences = (reference_tc([first]) +
                         reference_tc([(noisy, second[1])])) / 2
    assert abs(expected - mean_of_sequences) > 0.1


def test_miou_is_mmsegs_on_the_labelled_frames():
    preds, flows = moving_sequence()
    gt = preds[0].clone()
    gt[:4] = 255  # ignored
    gt[4:6] = (gt[4:6] + 1) % 4
    samples = [sample(preds, flows, gt=gt)]
    iou_metric = IoUMetric()
    iou_metric.dataset_meta = dict(classes=CLASSES)
    iou_metric.process({}, samples)
    expected = iou_metric.compute_metrics(iou_metric.results)
    metrics = evaluate(samples)
    assert {k: metrics[k] for k in expected} == expected
    assert metrics['mIoU'] < 100 and metrics['TC'] == 100.0


def test_flow_files_give_the_same_tc(tmp_path):
    preds, flows = moving_sequence()
    preds[3, :5] = 1
    names = []
    for t, flow in enumerate(flows):
        names.append(f'seq/{t:06d}.flo')
        write_flo(str(tmp_path / names[-1]), flow.permute(1, 2, 0).numpy())
    from_files = dict(sample(preds, flows), seq_flow_paths=names)
    del from_files['seq_flow']
    metric = TemporalConsistencyMetric(flow_root=str(tmp_path))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, [from_files])
    tc = metric.compute_metrics(metric.results)['TC']
    assert tc == evaluate([sample(preds, flows)])['TC'] < 100


def test_through_mmengines_evaluator_from_the_registry():
    preds, flows = moving_sequence()
    data_sample = SegDataSample()
    data_sample.pred_sem_seg = PixelData(data=preds[:1])
    data_sample.gt_sem_seg = PixelData(data=preds[:1])
    data_sample.set_data(
        dict(seq_pred_sem_seg=PixelData(data=preds), seq_flow=flows))
    evaluator = Evaluator(dict(type='mmskd.TemporalConsistencyMetric'))
    evaluator.dataset_meta = dict(classes=CLASSES)
    evaluator.process([data_sample])
    metrics = evaluator.evaluate(1)
    assert metrics['mIoU'] == 100.0 and metrics['TC'] == 100.0


def test_missing_or_wrong_sequence_fields_raise(tmp_path):
    preds, flows = moving_sequence()
    metric = TemporalConsistencyMetric()
    metric.dataset_meta = dict(classes=CLASSES)
    no_seq = sample(preds, flows)
    del no_seq['seq_pred_sem_seg']
    with pytest.raises(KeyError, match='seq_pred_sem_seg'):
        metric.process({}, [no_seq])
    no_flow = sample(preds, flows)
    del no_flow['seq_flow']
    with pytest.raises(KeyError, match='seq_flow_paths'):
        metric.process({}, [no_flow])
    with pytest.raises(ValueError, match='L >= 2'):
        metric.process({}, [sample(preds[:1], flows[:0])])
    with pytest.raises(ValueError, match=r'seq_flow must have shape'):
        metric.process({}, [sample(preds, flows[:2])])
    few_files = dict(no_flow, seq_flow_paths=['a.flo'])
    with pytest.raises(ValueError, match='need 3 flow files'):
        metric.process({}, [few_files])
    write_flo(str(tmp_path / 'small.flo'), np.zeros((3, 3, 2), np.float32))
    wrong_size = dict(
        no_flow, seq_flow_paths=[str(tmp_path / 'small.flo')] * 3)
    with pytest.raises(ValueError, match='small.flo holds a 3x3 flow'):
        metric.process({}, [wrong_size])

# Copyright (c) mmskd contributors. All rights reserved.
"""tools/benchmark.py on tiny models (no timing assertions)."""
import json
import os.path as osp
import sys

import pytest
import torch
from conftest import CWD_LOGITS, REPO, run_command
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from mmskd.utils.benchmark import (MemoryMeter, compute_ratios,
                                   mmrazor_counterpart, pairwise_probe,
                                   prepare_model_cfg)

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
# One thread: on a shared CI machine two threads fighting other processes
# for two cores are several times slower.
FAST = [
    '--tiny', '--device', 'cpu', '--iters', '2', '--warmup', '1', '--shape',
    '64', '128', '--batch', '2', '--threads', '1'
]
FLOOR_PHASES = ('student_step', 'teacher_forward', 'distill_step')


def run_benchmark(config: str, tmp_path, *extra: str) -> dict:
    out = str(tmp_path / 'bench.json')
    result = run_command([
        sys.executable, 'tools/benchmark.py', config, *FAST, '--out', out,
        *extra
    ])
    with open(out) as f:
        report = json.load(f)
    report['stdout'] = result.stdout
    report['stderr'] = result.stderr
    return report


def check_phases(report: dict, phases=FLOOR_PHASES) -> None:
    for key in phases:
        phase = report['phases'][key]
        assert len(phase['times_ms']) == 2, key
        assert all(t > 0 for t in phase['times_ms']), key
        assert phase['median_ms'] > 0 and phase['min_ms'] > 0, key
        assert phase['min_ms'] <= phase['median_ms'], key
        assert phase['peak_mib'] > 0 and phase['peak_delta_mib'] >= 0, key
        assert phase['label'] in report['stdout'], key
    a, b, c = (report['phases'][k] for k in FLOOR_PHASES)
    ratios = report['ratios']
    assert ratios['distill_over_floor'] == pytest.approx(
        c['median_ms'] / (a['median_ms'] + b['median_ms']))
    assert ratios['distill_over_floor_min'] == pytest.approx(
        c['min_ms'] / (a['min_ms'] + b['min_ms']))
    assert '| phase | median ms | min ms | peak MiB |' in report['stdout']
    assert 'c / (a + b), medians: ' \
        f"{ratios['distill_over_floor']:.2f}" in report['stdout']


def test_cwd_logits_with_mmrazor_and_probe(tmp_path):
    report = run_benchmark(CWD_LOGITS, tmp_path, '--compare-mmrazor',
                           '--pairwise-probe', '--probe-grid', '8', '16',
                           '--probe-channels', '8', '16')
    check_phases(report, FLOOR_PHASES + ('mmrazor_step', ))
    assert report['meta']['algorithm'] == 'StructuredDistill'
    assert report['meta']['mmrazor_losses'] == dict(
        loss_cwd=dict(
            type='mmrazor.ChannelWiseDivergence', tau=1, loss_weight=5))
    a, b, _ = (report['phases'][k] for k in FLOOR_PHASES)
    d = report['phases']['mmrazor_step']
    assert report['ratios']['mmrazor_over_floor'] == pytest.approx(
        d['median_ms'] / (a['median_ms'] + b['median_ms']))
    assert 'distill.loss_cwd' in report['phases']['distill_step']['log_vars']
    assert 'distill.loss_cwd' in d['log_vars']
    probe = report['pairwise_probe']
    assert probe['nodes'] == 8 * 16
    for form in ('gram', 'explicit'):
        assert probe[form]['median_ms'] > 0
    assert probe['abs_diff'] < 1e-5
    assert 'explicit N×N affinity' in report['stdout']
    # mmengine's progress bar over the 4 phases x (2 + 1) calls, on stderr.
    assert '12/12, ' in report['stderr'] and '12/12' not in report['stdout']


@pytest.mark.skipif(
    not osp.isfile(SKD), reason='the skd config does not exist yet')
def test_skd_adversarial_step(tmp_path):
    report = run_benchmark(SKD, tmp_path, '--compare-mmrazor')
    check_phases(report)
    # The critic has its own optimizer: the full step got both wrappers.
    assert report['meta']['optim_wrapper'] == 'OptimWrapperDict'
    assert report['meta']['student_optim_wrapper'] == \
        'config optim_wrapper.architecture'
    assert report['meta']['mmrazor_losses']['loss_pi']['type'] == \
        'mmrazor.KLDivergence'
    assert any('PairWiseAffinityLoss' in note for note in report['notes'])


class _Segmentor(nn.Module):
    """Just the module names the recorders of the test configs point at."""

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.decode_head = nn.Module()
        self.decode_head.conv_seg = nn.Conv2d(4, classes, 1)
        self.decode_head.bottleneck = nn.Conv2d(4, 4, 1)


class _Algorithm(nn.Module):

    def __init__(self, classes: int) -> None:
        super().__init__()
        self.student = _Segmentor(classes)
        self.teacher = _Segmentor(classes)


def _model_cfg(losses: dict, mappings: dict, **extra) -> ConfigDict:
    recorders = dict(
        logits=dict(type='ModuleOutputs', source='decode_head.conv_seg'),
        feature=dict(type='ModuleOutputs', source='decode_head.bottleneck'))
    return ConfigDict(
        architecture=dict(type='S'),
        teacher=dict(type='T'),
        distiller=dict(
            type='StructuredDistiller',
            student_recorders=recorders,
            teacher_recorders=recorders,
            distill_losses=losses,
            loss_forward_mappings=mappings),
        **extra)


def _mapping(recorder: str) -> dict:
    return dict(
        preds_S=dict(from_student=True, recorder=recorder),
        preds_T=dict(from_student=False, recorder=recorder))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
def test_pixel_wise_maps_to_mmrazor_kl_of_equal_value():
    from mmrazor.registry import MODELS as RAZOR_MODELS

    from mmskd.models.losses import PixelWiseDivergence
    classes = 5
    cfg = _model_cfg(
        dict(
            loss_pi=dict(type='PixelWiseDivergence', tau=2.0, loss_weight=3.0),
            loss_pa=dict(type='PairWiseAffinityLoss'),
            loss_cwd=dict(type='ChannelWiseDivergence', tau=4.0)),
        dict(
            loss_pi=_mapping('logits'),
            loss_pa=_mapping('feature'),
            loss_cwd=_mapping('logits')),
        discriminator=dict(type='HolisticDiscriminator', in_channels=5))
    # As in the tool, where the config's default scope (mmseg) is set.
    with DefaultScope.overwrite_default_scope('mmseg'):
        razor, notes = mmrazor_counterpart(cfg, _Algorithm(classes))
    losses = razor['distiller']['distill_losses']
    assert set(losses) == {'loss_pi', 'loss_cwd'}
    assert set(razor['distiller']['loss_forward_mappings']) == set(losses)
    assert losses['loss_cwd'] == dict(
        type='mmrazor.ChannelWiseDivergence', tau=4.0, loss_weight=1.0)
    assert razor['type'] == 'mmrazor.SingleTeacherDistill'
    assert razor['distiller']['type'] == 'mmrazor.ConfigurableDistiller'
    assert any('loss_pa' in note for note in notes)
    assert any('holistic' in note for note in notes)

    preds_S = torch.randn(2, classes, 6, 7)
    preds_T = torch.randn(2, classes, 6, 7)
    ours = PixelWiseDivergence(tau=2.0, loss_weight=3.0)(preds_S, preds_T)
    theirs = RAZOR_MODELS.build(losses['loss_pi'])(preds_S, preds_T)
    assert theirs.item() == pytest.approx(ours.item(), rel=1e-5)


def test_no_mmrazor_counterpart_skips_the_comparison():
    cfg = _model_cfg(
        dict(loss_pa=dict(type='PairWiseAffinityLoss')),
        dict(loss_pa=_mapping('feature')))
    razor, notes = mmrazor_counterpart(cfg, _Algorithm(3))
    assert razor is None
    assert any('comparison skipped' in note for note in notes)


def test_ratios_from_reported_times():
    phases = dict(
        student_step=dict(median_ms=30.0, min_ms=20.0),
        teacher_forward=dict(median_ms=10.0, min_ms=5.0),
        distill_step=dict(median_ms=50.0, min_ms=40.0),
        mmrazor_step=dict(median_ms=60.0, min_ms=45.0))
    ratios = compute_ratios(phases)
    assert ratios['distill_over_floor'] == pytest.approx(50 / 40)
    assert ratios['distill_over_floor_min'] == pytest.approx(40 / 25)
    assert ratios['mmrazor_over_floor'] == pytest.approx(60 / 40)
    assert ratios['distill_over_mmrazor'] == pytest.approx(50 / 60)


def test_pairwise_probe_skips_what_would_not_fit():
    device = torch.device('cpu')
    probe = pairwise_probe((256, 512), (2, 2),
                           1,
                           device,
                           iters=1,
                           warmup=0,
                           meter=MemoryMeter(device))
    assert probe['gram']['median_ms'] > 0
    # 6 float32 matrices of 131072² per sample: about 384 GiB.
    assert probe['explicit']['skipped'].startswith('would need 384.0 GiB')


def test_models_take_the_synthetic_size_unpadded():
    cfg = Config.fromfile(CWD_LOGITS)
    url = cfg.model.teacher_ckpt
    notes = prepare_model_cfg(cfg, (96, 160))
    for role in ('architecture', 'teacher'):
        model = cfg.model[role]
        assert 'cfg_path' not in model and model.type == 'EncoderDecoder'
        assert model.data_preprocessor.size == (96, 160)
        assert model.backbone.norm_cfg.type == 'BN'
    cached = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url))
    if not osp.isfile(cached):
        assert cfg.model.teacher_ckpt is None
        assert any(url in note and 'set to None' in note for note in notes)

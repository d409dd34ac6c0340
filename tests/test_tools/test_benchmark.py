# Copyright (c) mmskd contributors. All rights reserved.
"""tools/analysis_tools/benchmark.py and mmskd.benchmark on tiny models (no
timing assertions)."""
import contextlib
import json
import math
import os.path as osp
import sys
from typing import Any, Callable
from unittest import mock

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope
from torch import nn

from mmskd.benchmark import (MemoryMeter, compute_ratios, mmrazor_counterpart,
                             pairwise_probe, run_benchmark)
from mmskd.benchmark.config import drop_pretrained_weights, prepare_model_cfg
from mmskd.testing import CWD_LOGITS, REPO, run_command

SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
CWD_RETINANET = osp.join(
    REPO, 'configs/cwd/cwd_fpn_retinanet_r101_retinanet_r50_2x_coco.py')
SKD_FCOS = osp.join(
    REPO, 'configs/skd/skd_fpn_fcos_r101-caffe_fcos_r50-caffe_ms-2x_coco.py')
# One thread: on a shared CI machine two threads fighting other processes
# for two cores are several times slower.
FAST = [
    '--tiny', '--device', 'cpu', '--iters', '2', '--warmup', '1', '--shape',
    '64', '128', '--batch', '2', '--threads', '1'
]
FLOOR_PHASES = ('student_step', 'teacher_forward', 'distill_step')


def run_tool(config: str, tmp_path, *extra: str) -> dict:
    out = str(tmp_path / 'bench.json')
    result = run_command([
        sys.executable, 'tools/analysis_tools/benchmark.py', config, *FAST,
        '--out', out, *extra
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
    report = run_tool(CWD_LOGITS, tmp_path, '--compare-mmrazor',
                      '--pairwise-probe', '--probe-grid', '8', '16',
                      '--probe-channels', '8', '16')
    check_phases(report, FLOOR_PHASES + ('mmrazor_step', ))
    assert report['meta']['algorithm'] == 'StructuredDistill'
    assert report['meta']['task'] == 'segmentation'
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
    report = run_tool(SKD, tmp_path, '--compare-mmrazor')
    check_phases(report)
    # The critic has its own optimizer: the full step got both wrappers.
    assert report['meta']['optim_wrapper'] == 'OptimWrapperDict'
    assert report['meta']['student_optim_wrapper'] == \
        'config optim_wrapper.architecture'
    assert report['meta']['mmrazor_losses']['loss_pi']['type'] == \
        'mmrazor.KLDivergence'
    assert any('PairWiseAffinityLoss' in note for note in report['notes'])


def tiny_detection_report(config: str, **kwargs) -> dict:
    """One iteration of each phase on tiny detectors, in process."""
    return run_benchmark(
        config,
        shape=(96, 128),
        batch=2,
        iters=1,
        warmup=0,
        tiny=True,
        log=lambda message: None,
        **kwargs)


def assert_finite_logs(phase: dict, *keys: str) -> None:
    for key in keys:
        assert key in phase['log_vars'], sorted(phase['log_vars'])
    for key, value in phase['log_vars'].items():
        assert math.isfinite(value), f'{key} = {value}'


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_detection_cwd_fpn_against_mmrazor_fpn_teacher_distill():
    report = tiny_detection_report(CWD_RETINANET, compare_mmrazor=True)
    meta = report['meta']
    assert meta['task'] == 'detection'
    assert meta['mmrazor_algorithm'] == 'mmrazor.FpnTeacherDistill'
    assert meta['mmrazor_losses'] == {
        f'loss_cwd_fpn{level}':
        dict(type='mmrazor.ChannelWiseDivergence', tau=1, loss_weight=10)
        for level in range(5)
    }
    phases = report['phases']
    assert set(phases) == set(FLOOR_PHASES) | {'mmrazor_step'}
    assert 'extract_feat' in phases['teacher_forward']['label']
    # A real RetinaNet step: initialised as the Runner does, so the focal
    # loss starts near its prior instead of diverging.
    assert_finite_logs(phases['student_step'], 'loss_cls', 'loss_bbox')
    assert phases['student_step']['log_vars']['loss_cls'] < 5
    assert_finite_logs(phases['distill_step'], 'student.loss_cls',
                       *(f'distill.loss_cwd_fpn{level}' for level in range(5)))
    assert_finite_logs(phases['mmrazor_step'], 'distill.loss_cwd_fpn4')
    assert report['ratios']['distill_over_floor'] > 0


@pytest.mark.filterwarnings('ignore::UserWarning')
def test_detection_adversarial_step_runs_the_algorithms_train_step():
    report = tiny_detection_report(SKD_FCOS)
    assert report['meta']['task'] == 'detection'
    assert report['meta']['optim_wrapper'] == 'OptimWrapperDict'
    assert "mode='tensor'" in report['phases']['teacher_forward']['label']
    distill = report['phases']['distill_step']
    assert_finite_logs(distill, 'student.loss_cls', 'distill.loss_pa_fpn0',
                       'distill.loss_pa_fpn4')
    assert any(key.startswith('disc.') for key in distill['log_vars'])


def test_a_setting_mmrazor_lacks_leaves_the_loss_out():
    cfg = _model_cfg(
        dict(
            loss_pi=dict(
                type='PixelWiseDivergence', tau=2.0, resize_student=True)),
        dict(loss_pi=_mapping('logits')))
    razor, notes = mmrazor_counterpart(cfg, _Algorithm(3))
    assert razor is None
    assert any('resize_student=True' in note and 'left out' in note
               for note in notes)


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


def test_pretrained_weights_are_dropped_everywhere():
    pretrained = dict(type='Pretrained', checkpoint='torchvision://resnet50')
    cfg = dict(
        pretrained='open-mmlab://resnet18_v1c',
        backbone=dict(init_cfg=pretrained),
        neck=[dict(init_cfg=[pretrained, dict(type='Xavier')])],
        head=dict(init_cfg=dict(type='Normal', std=0.01)))
    assert drop_pretrained_weights(cfg) == 3
    assert cfg == dict(
        pretrained=None,
        backbone=dict(init_cfg=None),
        neck=[dict(init_cfg=[dict(type='Xavier')])],
        head=dict(init_cfg=dict(type='Normal', std=0.01)))


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
    # The student's ImageNet backbone is not downloaded.
    assert cfg.model.architecture.pretrained is None
    assert any('pretrained-weight references dropped' in note
               for note in notes)
    cached = osp.join(torch.hub.get_dir(), 'checkpoints', osp.basename(url))
    if not osp.isfile(cached):
        assert cfg.model.teacher_ckpt is None
        assert any(url in note and 'set to None' in note for note in notes)


def test_a_video_step_trains_on_frame_sequences():
    """VideoDistill (the ablation table ``video``'s full row) takes frame
    triplets; its floor is the student's step on the labelled frames and
    the teacher's forward of every frame."""
    from mmskd.benchmark import synthetic_sequence_batch, task_of
    data = synthetic_sequence_batch(2, (32, 48), 19)
    frames, = {tuple(inputs.shape) for inputs in data['inputs']}
    assert frames == (9, 32, 48)
    flow, = {tuple(s.gt_flow.data.shape) for s in data['data_samples']}
    assert flow == (4, 32, 48)
    student = dict(type='EncoderDecoder', decode_head=dict())
    task = task_of(student, 'mmskd.VideoDistill')
    assert task.name == 'video'
    assert task_of(student, 'StructuredDistill').name == 'segmentation'
    labelled = task.student_batch(data)
    assert all(
        torch.equal(image, inputs[3:6])
        for image, inputs in zip(labelled['inputs'], data['inputs']))
    report = run_benchmark(
        osp.join(
            REPO, 'configs/ablation/'
            'video_pspnet_r101-d8_pspnet_r18-d8_1xb8-160_clips-128x128.py'),
        shape=(64, 64),
        batch=2,
        iters=1,
        warmup=0,
        log=lambda message: None)
    assert_finite_logs(report['phases']['student_step'], 'decode.loss_ce')
    assert_finite_logs(report['phases']['distill_step'],
                       'student.decode.loss_ce', 'distill.loss_tl',
                       'distill.loss_pf', 'distill.loss_mf')
    assert report['ratios']['distill_over_floor'] > 0


def test_a_depth_step_trains_on_depth_maps():
    """A depth student has a decode_head too: its batches hold depth maps,
    not class labels (the ablation table ``depth``'s row +PA+HO)."""
    report = run_benchmark(
        osp.join(
            REPO, 'configs/ablation/'
            'skd_depthbin_r101-d8_depthbin_r18-d8_1xb8-150_rooms-128x128.py'),
        shape=(64, 64),
        batch=2,
        iters=1,
        warmup=0,
        log=lambda message: None)
    assert_finite_logs(report['phases']['student_step'],
                       'decode.loss_depth_bin')
    assert_finite_logs(report['phases']['distill_step'],
                       'student.decode.loss_depth_bin', 'distill.loss_pa')
    assert report['ratios']['distill_over_floor'] > 0


@contextlib.contextmanager
def resnet_forwards(record: Callable[[Any, torch.Tensor], None]):
    """Call ``record(backbone, inputs)`` on every ResNetV1c forward."""
    from mmseg.models.backbones import ResNetV1c
    forward = ResNetV1c.forward

    def spy(backbone, inputs):
        record(backbone, inputs)
        return forward(backbone, inputs)

    with mock.patch.object(ResNetV1c, 'forward', spy):
        yield


def test_a_student_at_its_own_resolution_sets_the_floor_at_its_size():
    """With input_scales, phase (a) trains the student on the batch at its
    scale and phase (b) runs the teacher on it at its own: the floor is
    the two networks as the distillation step runs them."""
    seen = []

    def record(backbone, inputs):
        seen.append((backbone.depth, tuple(inputs.shape[-2:])))

    with resnet_forwards(record):
        report = run_benchmark(
            osp.join(
                REPO, 'configs/resolution/'
                'cwd_logits_pspnet_r101-d8-512x1024_pspnet_r18-d8-256x512_'
                '4xb2-80k_cityscapes.py'),
            shape=(64, 128),
            batch=2,
            iters=1,
            warmup=0,
            tiny=True,
            log=lambda message: None)
    # Both tiny networks are ResNet-18s: the student's 2 steps, (a) and
    # (c), at half size, the teacher's 2 forwards, (b) and (c), at full.
    assert sorted(seen) == [(18, (32, 64))] * 2 + [(18, (64, 128))] * 2
    assert_finite_logs(report['phases']['distill_step'], 'distill.loss_cwd')
    assert report['ratios']['distill_over_floor'] > 0


def test_the_floor_with_two_teachers_runs_both():
    """A TeacherEnsemble's floor (b) is the forward of every teacher."""
    widths = []
    with resnet_forwards(
            lambda backbone, inputs: widths.append(backbone.base_channels)):
        report = run_benchmark(
            osp.join(
                REPO, 'configs/multi_teacher/'
                'pi_pa_each_pspnet_r101-d8_deeplabv3plus_r101-d8_'
                'pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'),
            shape=(64, 128),
            batch=2,
            iters=1,
            warmup=0,
            tiny=True,
            log=lambda message: None)
    # The tiny student is 8 channels wide, each tiny teacher 16: the
    # student in (a) and (c), both teachers in (b) and (c).
    assert sorted(widths) == [8] * 2 + [16] * 4
    assert_finite_logs(report['phases']['distill_step'],
                       'distill.loss_pi_pspnet', 'distill.loss_pa_pspnet',
                       'distill.loss_pi_deeplabv3plus',
                       'distill.loss_pa_deeplabv3plus')
    assert report['ratios']['distill_over_floor'] > 0


def test_each_teachers_offline_checkpoint_is_dropped(tmp_path, monkeypatch):
    """A teacher's URL in the hub cache stays, one that is not is dropped."""
    from mmskd.benchmark.config import drop_offline_teacher_ckpt
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/multi_teacher/'
            'pi_pa_avg_pspnet_r101-d8_deeplabv3plus_r101-d8_pspnet_r18-d8_'
            '4xb2-80k_cityscapes-512x1024.py'))
    teachers = cfg.model.teacher.teachers
    urls = {name: teacher.ckpt for name, teacher in teachers.items()}
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path))
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / 'checkpoints' / osp.basename(urls['pspnet'])).touch()
    note = drop_offline_teacher_ckpt(cfg)
    assert teachers.pspnet.ckpt == urls['pspnet']
    assert teachers.deeplabv3plus.ckpt is None
    assert note.startswith(
        f'teachers.deeplabv3plus.ckpt {urls["deeplabv3plus"]} is not in the '
        'download cache')


def test_tiny_models_refuse_stage_lists_on_a_mobilenet():
    """The stage widths of deep supervision and auxiliary modules are the
    narrow ResNet-18's; a MobileNetV2 student with such heads is named."""
    from mmskd.benchmark.tiny import tiny_segmentor_options
    model = dict(
        backbone=dict(type='MobileNetV2'),
        decode_head=dict(type='ASPPHead'),
        auxiliary_head=dict(
            type='AuxiliaryModuleHead', in_channels=[16, 24], in_index=[0, 1]))
    with pytest.raises(ValueError, match='model.architecture has a Mobile'):
        tiny_segmentor_options('model.architecture', model)
    model['backbone'] = dict(type='ResNetV1c')
    options = tiny_segmentor_options('model.architecture', model)
    assert options['model.architecture.auxiliary_head.in_channels'] == [8, 16]

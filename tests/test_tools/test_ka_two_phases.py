# Copyright (c) mmskd contributors. All rights reserved.
"""Knowledge adaptation through the stock tools, on generated VOC data.

README's two commands, shrunk (``mmskd.testing.tiny_ka_options``): phase 1
trains the translator with ``tools/dist_train.sh`` on two processes and
writes ``epoch_1.pth``; phase 2 reads it, also on two processes, and trains
the student; a one-process phase-2 run continues the first from its
iteration 2 with ``--resume``; ``tools/test.py`` scores the last checkpoint
as the run's validation did;
``tools/model_converters/convert_to_student.py`` exports the student alone
from a phase-2 checkpoint; ``visualize_distill.py`` draws its panels.
"""
import glob
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from mmskd.registry import MODELS
from mmskd.testing import (CONFIG_ROOT, MISMATCH_WARNING,
                           assert_no_wrapper_names, assert_test_py_reproduces,
                           cli_options, run_command, tiny_ka_options,
                           write_teacher_checkpoint, write_voc_like)

PHASE_ONE = osp.join(
    CONFIG_ROOT,
    'ka/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_voc12aug-512x512.py')
PHASE_TWO = osp.join(
    CONFIG_ROOT, 'ka/ka_deeplabv3plus_r101-d8_deeplabv3_m-v2-d16_4xb4-30k_'
    'voc12aug-512x512.py')
IMAGE_SIZE = (64, 64)
ADAPTERS = ('distiller.connectors.feature_adapter.',
            'distiller.connectors.affinity_adapter.')
ENCODER = 'distiller.connectors.translator.encoder.'


def train(config: str, work_dir: str, options: dict, *extra: str) -> str:
    result = run_command([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        *extra, *cli_options(options)
    ])
    return result.stdout + result.stderr


def dist_train(config: str, work_dir: str, options: dict) -> str:
    """``tools/dist_train.sh CONFIG 2`` (gloo on CPU)."""
    result = run_command([
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir,
        *cli_options(options)
    ])
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    return log


def state_of(path: str) -> dict:
    return torch.load(
        path, map_location='cpu', weights_only=False)['state_dict']


@pytest.fixture(scope='module')
def runs(tmp_path_factory) -> dict:
    """Phase 1; phase 2 for 4 iterations; phase 2 resumed from iteration 2
    of that run in a fresh work dir (not from the last iteration, whose
    poly lr is 0)."""
    root = tmp_path_factory.mktemp('ka')
    voc = write_voc_like(str(root / 'voc'), height=64, width=64)
    phase_one = Config.fromfile(PHASE_ONE)
    options = tiny_ka_options(phase_one, voc, IMAGE_SIZE)
    phase_one.merge_from_dict(options)
    options['model.teacher_ckpt'] = write_teacher_checkpoint(
        phase_one, str(root / 'teacher.pth'))
    logs = dict(phase_one=dist_train(PHASE_ONE, str(root / 'p1'), options))
    translator_ckpt = str(root / 'p1' / 'epoch_1.pth')

    phase_two = Config.fromfile(PHASE_TWO)
    options = tiny_ka_options(
        phase_two,
        voc,
        IMAGE_SIZE,
        max_iters=4,
        teacher_ckpt=options['model.teacher_ckpt'])
    options['model.translator_ckpt'] = translator_ckpt
    options['default_hooks.checkpoint.interval'] = 1
    work_dir = str(root / 'p2')
    logs['phase_two'] = dist_train(PHASE_TWO, work_dir, options)
    options['load_from'] = osp.join(work_dir, 'iter_2.pth')
    resumed = str(root / 'p2_resumed')
    logs['resumed'] = train(PHASE_TWO, resumed, options, '--resume')
    phase_two.merge_from_dict(options)
    return dict(
        logs=logs,
        voc=voc,
        translator_ckpt=translator_ckpt,
        phase_two=work_dir,
        resumed=resumed,
        options=options,
        student_cfg=phase_two.model.architecture)


def test_phase_one_writes_the_encoder_phase_two_loads(runs):
    assert 'translator.loss_rec' in runs['logs']['phase_one']
    assert 'Iter(val)' not in runs['logs']['phase_one']
    phase_one = state_of(runs['translator_ckpt'])
    phase_two = state_of(osp.join(runs['phase_two'], 'iter_2.pth'))
    encoder = {
        key: value
        for key, value in phase_two.items() if key.startswith(ENCODER)
    }
    assert encoder
    for key, value in encoder.items():
        trained = 'translator.encoder.' + key[len(ENCODER):]
        assert torch.equal(value, phase_one[trained]), key


def test_phase_two_trains_student_and_adapters_and_validates(runs):
    log = runs['logs']['phase_two']
    for term in ('distill.loss_adapt', 'distill.loss_aff',
                 'student.decode.loss_ce', 'mIoU'):
        assert term in log, term
    assert_no_wrapper_names(osp.join(runs['phase_two'], 'iter_4.pth'))


def test_test_py_scores_phase_two_as_its_validation(runs, tmp_path):
    """The checkpoint holds teacher and encoder: test.py reads neither
    teacher_ckpt nor the phase-1 file (gone here)."""
    options = dict(
        runs['options'], **{
            'model.teacher_ckpt': str(tmp_path / 'gone_teacher.pth'),
            'model.translator_ckpt': str(tmp_path / 'gone_epoch_1.pth')
        })
    assert_test_py_reproduces(run_command, PHASE_TWO,
                              osp.join(runs['phase_two'], 'iter_4.pth'),
                              runs['logs']['phase_two'], str(tmp_path),
                              cli_options(options))


def test_resume_continues_the_student_and_its_adapters(runs):
    log = runs['logs']['resumed']
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    for mismatch in ('missing keys', 'unexpected key'):
        assert mismatch not in log
    before = state_of(osp.join(runs['phase_two'], 'iter_2.pth'))
    after = torch.load(
        osp.join(runs['resumed'], 'iter_3.pth'),
        map_location='cpu',
        weights_only=False)
    assert after['meta']['iter'] == 3
    weights = {
        key: value
        for key, value in after['state_dict'].items() if value.dim() > 1
    }
    changed = {
        prefix:
        any(not torch.equal(value, before[key])
            for key, value in weights.items() if key.startswith(prefix))
        for prefix in (*ADAPTERS, 'architecture.', ENCODER, 'teacher.')
    }
    assert changed == {
        ADAPTERS[0]: True,
        ADAPTERS[1]: True,
        'architecture.': True,
        ENCODER: False,
        'teacher.': False,
    }
    # Resumed, not restarted: one step at the decayed lr moves the adapters
    # by a small fraction of their iteration-2 weights (a fresh start would
    # be as far from them as two random initialisations).
    for prefix in ADAPTERS:
        weight = prefix + 'convs.0.conv.weight'
        step = weights[weight] - before[weight]
        assert step.norm() < 0.05 * before[weight].norm(), weight


def test_convert_to_student_exports_the_student_alone(runs, tmp_path):
    phase_two = osp.join(runs['phase_two'], 'iter_3.pth')
    out = str(tmp_path / 'student.pth')
    result = run_command([
        sys.executable, 'tools/model_converters/convert_to_student.py',
        phase_two, out
    ])
    assert 'dropped distiller (' in result.stdout
    converted = torch.load(out, weights_only=True)
    student = MODELS.build(runs['student_cfg'])
    assert set(converted['state_dict']) == set(student.state_dict())
    student.load_state_dict(converted['state_dict'], strict=True)
    state = state_of(phase_two)
    for key, value in converted['state_dict'].items():
        assert torch.equal(value, state['architecture.' + key]), key
    assert set(converted['meta']['converted_from']['dropped']) >= {
        'teacher', 'distiller'
    }


def test_visualize_distill_draws_a_phase_two_checkpoint(runs, tmp_path):
    """The two-process checkpoint loads whole into the config's model (no
    mismatch warning) without the phase-1 file, and the three panels are
    drawn at the checkpoint's iteration."""
    images = sorted(glob.glob(osp.join(runs['voc'], 'JPEGImages', '*.jpg')))
    options = dict(
        runs['options'],
        **{'model.translator_ckpt': str(tmp_path / 'gone_epoch_1.pth')})
    out_dir = str(tmp_path / 'vis')
    drawn = run_command([
        sys.executable, 'tools/analysis_tools/visualize_distill.py', PHASE_TWO,
        osp.join(runs['phase_two'], 'iter_4.pth'), images[0], '--out-dir',
        out_dir, *cli_options(options)
    ])
    assert MISMATCH_WARNING not in drawn.stdout + drawn.stderr
    with open(osp.join(out_dir, 'summary.json')) as file:
        summary = json.load(file)
    assert summary['step'] == 4
    assert set(summary[images[0]]) == {'predictions', 'affinity', 'channels'}
    stem = osp.splitext(osp.basename(images[0]))[0]
    assert sorted(
        osp.basename(path) for path in glob.glob(
            osp.join(out_dir, 'vis_data', 'vis_image', '*.png'))) == [
                f'{stem}_{panel}_4.png'
                for panel in ('affinity', 'channels', 'predictions')
            ]

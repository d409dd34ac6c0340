# Copyright (c) mmskd contributors. All rights reserved.
"""The video configs in real training: one iteration each with mIoU and TC,
both algorithms on two gloo processes with every tool on their checkpoints,
exact resume, the student exported alone."""
import glob
import json
import os.path as osp
import re
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DATASETS

from mmskd.registry import MODELS
from mmskd.testing import (REPO, assert_amp_wrappers, assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_student_converts, assert_test_py_reproduces,
                           build_runner, cli_options, free_port, logged_metric,
                           logged_scalars, run_command, run_tool,
                           tiny_video_options, write_cityscapes_sequences)
from mmskd.utils import allow_mmengine_checkpoints

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs/video/*.py')))
FULL = osp.join(
    REPO, 'configs/video/'
    'video_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py')
# The terms each config trains (Table 5.1's rows as configs).
TERMS = {
    'temporal_pspnet_r101-d8': {'temporal.loss_tl'},
    'temporal_pspnet_r18-d8': {'temporal.loss_tl'},
    'video_tl_sf_pspnet': {
        'distill.loss_pi', 'distill.loss_pa', 'distill.loss_tl'
    },
    'video_tl_sf_pf_': {
        'distill.loss_pi', 'distill.loss_pa', 'distill.loss_tl',
        'distill.loss_pf'
    },
    'video_pspnet': {
        'distill.loss_pi', 'distill.loss_pa', 'distill.loss_tl',
        'distill.loss_pf', 'distill.loss_mf'
    },
}
ALL_TERMS = set().union(*TERMS.values())


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> str:
    return write_cityscapes_sequences(str(tmp_path_factory.mktemp('seq')))


def tiny(config: str, root: str, **kwargs) -> Config:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_video_options(cfg, root, **kwargs))
    return cfg


def test_the_configs_are_the_table_rows():
    assert len(CONFIGS) == len(TERMS)
    for prefix in TERMS:
        assert sum(osp.basename(c).startswith(prefix) for c in CONFIGS) == 1


def precision_cases() -> list:
    """Every config in fp32; the two algorithms (VideoDistill: the full
    row, TemporalTraining: the R-18 one) also as ``--amp`` runs them."""
    with_amp = {FULL} | {
        config for config in CONFIGS
        if osp.basename(config).startswith('temporal_pspnet_r18-d8')
    }
    return [
        pytest.param(config, amp,
                     id=f'{osp.basename(config)}-{"amp" if amp else "fp32"}')
        for config in CONFIGS
        for amp in ((False, True) if config in with_amp else (False, ))
    ]


@pytest.mark.parametrize('config, amp', precision_cases())
def test_one_iteration_then_miou_and_tc(config, amp, root, tmp_path,
                                        fast_runner):
    cfg = tiny(config, root, max_iters=1, val_interval=1)
    runner = build_runner(cfg, config, str(tmp_path), amp=amp)
    runner.train()
    if amp:
        assert_amp_wrappers(runner)
    train, val = logged_scalars(runner.log_dir)
    terms = next(t for p, t in TERMS.items()
                 if osp.basename(config).startswith(p))
    assert terms == ALL_TERMS & set(train), sorted(train)
    assert all(np.isfinite(train[key]) for key in terms)
    assert 0 <= val['TC'] <= 100 and 0 <= val['mIoU'] <= 100, val


def test_precomputed_flow_trains_with_flip_and_rescale(tmp_path, fast_runner):
    """Precomputed flow now travels with the frames through the standard
    augmentation: flipped, rescaled and cropped samples train, and the TC
    metric reads the (unaugmented) evaluation files."""
    flow_root = write_cityscapes_sequences(
        str(tmp_path / 'data'), flow_ext='.flo', num_snippets=2)
    cfg = tiny(FULL, flow_root, max_iters=1, val_interval=1)
    cfg.model.flow_source = dict(type='PrecomputedFlow')
    train, val = cfg.train_dataloader.dataset, cfg.val_dataloader.dataset
    train.data_prefix.flow_path = 'flow/train'
    val.data_prefix.flow_path = 'flow/val'
    train.pipeline[2].ratio_range = (1.5, 2.0)
    assert train.pipeline[4].type == 'SequenceRandomFlip'
    train.pipeline[4].prob = 1.0
    runner = build_runner(cfg, FULL, str(tmp_path / 'work'))
    runner.train()
    train_logs, val_logs = logged_scalars(runner.log_dir)
    assert np.isfinite(train_logs['distill.loss_tl'])
    assert 0 <= val_logs['TC'] <= 100


TEMPORAL_R18 = osp.join(
    REPO, 'configs/video/temporal_pspnet_r18-d8_4xb2-80k_cityscapes-seq-'
    '512x1024.py')


@pytest.mark.parametrize(
    'config, term', [(FULL, 'distill.loss_mf'),
                     (TEMPORAL_R18, 'temporal.loss_tl')],
    ids=['VideoDistill', 'TemporalTraining'])
def test_dist_train_two_gloo_processes_then_every_tool(config, term, root,
                                                       tmp_path):
    """Both video algorithms on two processes; their checkpoint then gives
    test.py the run's last mIoU and TC, converts to the network alone, and
    resumes in one process."""
    options = tiny_video_options(Config.fromfile(config), root)
    # A dict with _delete_ does not fit on the command line: a one-line
    # config replaces the flow source instead.
    flow = options.pop('model.flow_source')
    true_flow = tmp_path / 'true_flow.py'
    true_flow.write_text(
        f'_base_ = [{config!r}]\nmodel = dict(flow_source={flow!r})\n')
    config, words = str(true_flow), cli_options(options)
    work_dir = str(tmp_path / 'work')
    result = run_tool(
        ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir,
         *words])
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert 'Iter(train) [2/2]' in log and term in log
    assert re.search(r'Iter\(val\) .*mIoU: \d.*TC: \d', log), log[-2000:]
    checkpoint = osp.join(work_dir, 'iter_2.pth')
    assert_no_wrapper_names(checkpoint)
    tested = assert_test_py_reproduces(run_command, config, checkpoint, log,
                                       str(tmp_path / 'test'), words)
    assert logged_metric(tested, 'TC', 'test') == \
        logged_metric(log, 'TC', 'val')
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    assert_student_converts(checkpoint,
                            str(tmp_path / 'network.pth'),
                            MODELS.build(cfg.model.architecture))
    assert_resumes_in_one_process(
        run_command, config, work_dir,
        cli_options(dict(options, **{'train_cfg.max_iters': 3})), 2, 3)


def _tensors(value) -> list:
    """Every tensor of a nested state, in a fixed order."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [
            t for key in sorted(value, key=str) for t in _tensors(value[key])
        ]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def _snapshot(runner) -> list:
    return [
        t.clone() for t in _tensors(runner.model.state_dict()) +
        _tensors(runner.optim_wrapper.state_dict())
    ]


def test_resume_continues_exactly_and_exports_the_student(
        root, tmp_path, monkeypatch):
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    allow_mmengine_checkpoints()

    def runner_of(name: str, resume: bool):
        cfg = tiny(FULL, root, max_iters=2, val_interval=2)
        cfg.resume, cfg.randomness = resume, dict(seed=0)
        cfg.default_hooks.checkpoint.save_optimizer = True
        return build_runner(cfg, f'{name}.py', str(tmp_path / 'work'))

    first = runner_of('first', False)
    first.train()
    resumed = runner_of('second', True)
    resumed.train()
    assert resumed.iter == 2
    dataset = DATASETS.build(first.cfg.train_dataloader.dataset)
    np.random.seed(3)
    data = pseudo_collate([dataset[2], dataset[3]])
    for runner in (first, resumed):
        torch.manual_seed(123)
        runner.model.train()
        runner.model.train_step(data, runner.optim_wrapper)
    a, b = _snapshot(first), _snapshot(resumed)
    assert len(a) == len(b) and all(torch.equal(x, y) for x, y in zip(a, b))

    ckpt = osp.join(str(tmp_path / 'work'), 'iter_2.pth')
    state = torch.load(ckpt, weights_only=False)
    lstm = 'video_losses.loss_mf.conv_lstm.gates.weight'
    assert lstm in state['state_dict']
    trained = {
        id(p)
        for g in first.optim_wrapper.optimizer.param_groups
        for p in g['params']
    }
    lstm_param = dict(first.model.named_parameters())[lstm]
    assert id(lstm_param) in trained
    assert first.optim_wrapper.optimizer.state[lstm_param], \
        'the ConvLSTM took no optimizer step'
    out = str(tmp_path / 'student.pth')
    run_command([
        sys.executable, 'tools/model_converters/convert_to_student.py', ckpt,
        out
    ])
    student = torch.load(out, weights_only=True)['state_dict']
    assert not [k for k in student if 'conv_lstm' in k or 'teacher' in k]
    assert student.keys() == {
        k[len('architecture.'):]
        for k in state['state_dict'] if k.startswith('architecture.')
    }


def test_ddp_keeps_student_and_conv_lstm_in_sync(root, tmp_path):
    out = str(tmp_path / 'result.json')
    run_tool([
        sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
        f'--master_port={free_port()}',
        'tests/scripts/video_ddp_worker.py', FULL, root, out
    ],
                timeout=600)
    with open(out) as file:
        result = json.load(file)
    assert result == dict(
        same=dict(student=True, conv_lstm=True), lstm_changed=True)

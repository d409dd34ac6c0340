# Copyright (c) mmskd contributors. All rights reserved.
"""No algorithm lets a NaN or inf reach its weights or its BatchNorm running
statistics: non-finite inputs stop the run before any forward, and a step
whose gradients are not finite is undone, counted and, repeated, stops it."""
import copy
import os.path as osp
from typing import Dict

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, DefaultScope

from mmskd.registry import MODELS
from mmskd.testing import (CONFIG_ROOT, CWD_LOGITS, REPO, tiny_cfg,
                           tiny_ka_options, tiny_video_options,
                           write_cityscapes_sequences)

NAN = float('nan')
SKD = osp.join(
    REPO, 'configs/skd/'
    'skd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
VIDEO = osp.join(
    REPO, 'configs/video/'
    'video_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py')
KA_PHASE_ONE = osp.join(
    CONFIG_ROOT,
    'ka/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_cityscapes-512x1024.py')
TEMPORAL = osp.join(
    REPO,
    'configs/video/temporal_pspnet_r18-d8_4xb2-80k_cityscapes-seq-512x1024.py')


class Run:
    """An algorithm built from a shrunk config, its optimizer and data."""

    def __init__(self, cfg: Config, **model_options) -> None:
        cfg.model.update(model_options)
        self.cfg = cfg
        torch.manual_seed(0)
        # A scoped build: a global default scope would leak into later tests.
        with DefaultScope.overwrite_default_scope(cfg.default_scope):
            self.algorithm = MODELS.build(copy.deepcopy(cfg.model))
            self.algorithm.init_weights()
            self.optim_wrapper = build_optim_wrapper(self.algorithm,
                                                     cfg.optim_wrapper)
            self.dataset = DATASETS.build(cfg.train_dataloader.dataset)
        self.algorithm.train()

    def batch(self) -> dict:
        np.random.seed(0)
        return pseudo_collate([self.dataset[0], self.dataset[1]])

    def step(self, data: dict = None) -> dict:
        return self.algorithm.train_step(
            self.batch() if data is None else data, self.optim_wrapper)

    @property
    def student(self) -> torch.nn.Module:
        return self.algorithm.architecture


@pytest.fixture(scope='module')
def sequence_root(tmp_path_factory) -> str:
    return write_cityscapes_sequences(
        str(tmp_path_factory.mktemp('seq')), flow_ext='.npy')


def cwd(cityscapes_root, **options) -> Run:
    return Run(tiny_cfg(CWD_LOGITS, cityscapes_root), **options)


def skd(cityscapes_root, **options) -> Run:
    return Run(tiny_cfg(SKD, cityscapes_root), **options)


def sequences(config: str, root: str, **options) -> Run:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(tiny_video_options(cfg, root))
    return Run(cfg, **options)


def state(run: Run) -> Dict[str, torch.Tensor]:
    """Every parameter and buffer (BatchNorm statistics included), but the
    preprocessor's settings (its mean and std)."""
    tensors = dict(run.algorithm.named_parameters())
    tensors.update((name, buffer)
                   for name, buffer in run.algorithm.named_buffers()
                   if not name.startswith('data_preprocessor.'))
    assert any(name.endswith('running_var') for name in tensors)
    return {name: t.detach().clone() for name, t in tensors.items()}


def assert_unchanged_and_finite(before: Dict[str, torch.Tensor],
                                run: Run) -> None:
    after = state(run)
    assert after.keys() == before.keys()
    assert [k for k in before if not torch.equal(before[k], after[k])] == []
    assert [
        k for k, v in after.items()
        if v.is_floating_point() and not v.isfinite().all()
    ] == []


def zero_std(run: Run) -> None:
    """What ``data_preprocessor.std=[0, 0, 0]`` in a config builds."""
    pre = run.algorithm.data_preprocessor
    getattr(pre, 'frame_preprocessor', pre).std.zero_()


def diverge(module: torch.nn.Module):
    """Make ``module``'s output NaN (finite inputs, a diverged layer)."""
    return module.register_forward_hook(lambda m, args, out: out * NAN)


def saw_non_finite_buffers(run: Run) -> list:
    """Record, at each update, which part it trains and whether a buffer
    had already taken in a NaN: the forwards ran before the decision."""
    seen = []
    update = run.algorithm.step_guard.update

    def recording(wrapper, loss, name, synced=None):
        seen.append((name, not all(b.isfinite().all()
                                   for b in run.algorithm.buffers()
                                   if b.is_floating_point())))
        return update(wrapper, loss, name, synced)

    run.algorithm.step_guard.update = recording
    return seen


def test_cwd_zero_std_stops_before_any_forward(cityscapes_root):
    run = cwd(cityscapes_root)
    zero_std(run)
    before = state(run)
    with pytest.raises(FloatingPointError) as error:
        run.step()
    message = str(error.value)
    assert 'data_preprocessor.std is [0.0, 0.0, 0.0]' in message
    assert '2 preprocessed image(s)' in message
    assert_unchanged_and_finite(before, run)


def test_the_loss_forward_refuses_nan_inputs_under_any_wrapper(
        cityscapes_root):
    """MMDistributedDataParallel runs its own train_step and only calls the
    algorithm's forward, which checks the inputs itself."""
    run = cwd(cityscapes_root)
    data = run.algorithm.data_preprocessor(run.batch(), True)
    data['inputs'][1, 0, 0, 0] = NAN
    before = state(run)
    path = data['data_samples'][1].img_path
    with pytest.raises(FloatingPointError, match=f'\\({path}\\)'):
        run.algorithm(**data, mode='loss')
    assert_unchanged_and_finite(before, run)


def test_cwd_nan_image_file_is_named(cityscapes_root):
    run = cwd(cityscapes_root)
    data = run.batch()
    image = data['inputs'][0].float()
    image[:, 3, 4] = NAN
    data['inputs'][0] = image
    path = data['data_samples'][0].img_path
    with pytest.raises(FloatingPointError) as error:
        run.step(data)
    assert f'({path})' in str(error.value)
    assert data['data_samples'][1].img_path not in str(error.value)
    assert 'corrupt or truncated image' in str(error.value)


def test_cwd_nan_gradients_are_undone_counted_and_stop_the_run(
        cityscapes_root):
    run = cwd(cityscapes_root, max_skipped_steps=2)
    before = state(run)
    seen = saw_non_finite_buffers(run)
    hook = diverge(run.student.backbone.layer1)
    run.step()
    assert seen == [('student', True)]
    assert_unchanged_and_finite(before, run)
    assert run.algorithm.step_guard.skipped_in_a_row == dict(student=1)
    with pytest.raises(RuntimeError, match='the last 2 student updates'):
        run.step()
    assert_unchanged_and_finite(before, run)
    hook.remove()
    run.step()
    assert run.algorithm.step_guard.skipped_in_a_row == dict(student=0)
    after = run.student.backbone.layer2[0].bn1.running_mean
    assert not torch.equal(
        before['architecture.backbone.layer2.0.bn1.running_mean'], after)


def test_holistic_zero_std_stops_before_any_forward(cityscapes_root):
    run = skd(cityscapes_root)
    zero_std(run)
    before = state(run)
    with pytest.raises(FloatingPointError, match='std is'):
        run.step()
    assert_unchanged_and_finite(before, run)


def test_holistic_nan_gradients_undo_both_parts(cityscapes_root):
    run = skd(cityscapes_root, max_skipped_steps=3)
    before = state(run)
    seen = saw_non_finite_buffers(run)
    with diverge(run.student.backbone.layer1):
        run.step()
    assert seen == [('student', True), ('discriminator', True)]
    assert_unchanged_and_finite(before, run)
    assert run.algorithm.step_guard.skipped_in_a_row == dict(
        student=1, discriminator=1)


def test_video_distill_zero_std_names_the_frames(sequence_root):
    run = sequences(VIDEO, sequence_root)
    zero_std(run)
    before = state(run)
    with pytest.raises(FloatingPointError) as error:
        run.step()
    message = str(error.value)
    assert '6 preprocessed image(s)' in message  # 2 sequences of 3 frames
    for sample in run.batch()['data_samples']:
        for path in sample.frame_paths:
            assert path in message
    assert_unchanged_and_finite(before, run)


def test_video_distill_nan_gradients_are_undone(sequence_root):
    run = sequences(VIDEO, sequence_root)
    before = state(run)
    seen = saw_non_finite_buffers(run)
    with diverge(run.student.backbone.layer1):
        run.step()
    assert seen == [('student', True)]
    assert_unchanged_and_finite(before, run)
    assert run.algorithm.step_guard.skipped_in_a_row == dict(student=1)


def test_temporal_training_is_guarded(sequence_root):
    run = sequences(TEMPORAL, sequence_root, max_skipped_steps=1)
    before = state(run)
    zero_std(run)
    with pytest.raises(FloatingPointError, match='std is'):
        run.step()
    assert_unchanged_and_finite(before, run)
    run.algorithm.data_preprocessor.frame_preprocessor.std.fill_(58.0)
    with diverge(run.student.backbone.layer1), \
            pytest.raises(RuntimeError, match='the last 1 network updates'):
        run.step()
    assert_unchanged_and_finite(before, run)


def test_knowledge_translator_pretrain_is_guarded(cityscapes_root):
    cfg = Config.fromfile(KA_PHASE_ONE)
    cfg.merge_from_dict(tiny_ka_options(cfg, cityscapes_root, (64, 128)))
    run = Run(cfg, max_skipped_steps=1)
    translator = run.algorithm.translator
    weights = [p.detach().clone() for p in translator.parameters()]
    std = run.algorithm.data_preprocessor.std.clone()
    zero_std(run)
    with pytest.raises(FloatingPointError, match='std is'):
        run.step()
    run.algorithm.data_preprocessor.std.copy_(std)
    with diverge(translator.encoder), \
            pytest.raises(RuntimeError, match='the last 1 translator updates'):
        run.step()
    assert all(
        torch.equal(a, b) for a, b in zip(weights, translator.parameters()))
    log_vars = run.step()
    assert torch.isfinite(log_vars['loss'])
    assert not torch.equal(weights[0], next(translator.parameters()))
    assert run.algorithm.step_guard.skipped_in_a_row == dict(translator=0)

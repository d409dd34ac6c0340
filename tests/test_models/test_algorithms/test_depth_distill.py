# Copyright (c) mmskd contributors. All rights reserved.
"""Structured distillation of depth estimators (DepthBinHead in mmseg's
DepthEstimator): the pair, the holistic term on the depth map, the
discriminator's channel check and exact resume, with tiny models of the
real config on generated NYU-layout data."""
import copy
import os.path as osp
from unittest import mock

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope
from mmengine.runner import Runner
from test_holistic_training import _assert_same, _state

import mmskd.datasets.transforms  # noqa: F401
import mmskd.evaluation  # noqa: F401
from mmskd.models.segmentors import PatchedDepthEstimator
from mmskd.models.utils import model_family
from mmskd.testing import CONFIG_ROOT, CROP, tiny_depth_options, write_nyu_like
from mmskd.utils import allow_mmengine_checkpoints

SKD_DEPTH = osp.join(
    CONFIG_ROOT, 'depth',
    'skd_depthbin_r101-d8_depthbin_r18-d8_4xb3-20k_nyu-480x480.py')
ALGORITHM = 'mmskd.models.algorithms.holistic_distill.'


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> str:
    return write_nyu_like(str(tmp_path_factory.mktemp('nyu')), num_images=4)


@pytest.fixture
def cfg(nyu_root) -> Config:
    cfg = Config.fromfile(SKD_DEPTH)
    cfg.merge_from_dict(tiny_depth_options(SKD_DEPTH, nyu_root))
    return cfg


def build(cfg: Config):
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()
    return algorithm, build_optim_wrapper(algorithm, cfg.optim_wrapper)


def batch(cfg: Config, indices=(0, 1)) -> dict:
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return pseudo_collate([dataset[i] for i in indices])


def test_depth_estimators_are_an_mmseg_segmentor_pair(cfg):
    algorithm, _ = build(cfg)
    for model in (algorithm.student, algorithm.teacher):
        assert isinstance(model, PatchedDepthEstimator)
        assert model_family(model) == 'mmseg segmentor'
    assert algorithm.discriminator.in_channels == 1


def test_holistic_step_scores_the_depth_maps(cfg):
    """The discriminator sees the 1-channel expected depth (the teacher's
    as the real sample), the teacher runs in tensor mode without its loss,
    and the student, the discriminator but not the teacher change."""
    algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    teacher_head = algorithm.teacher.decode_head
    teacher_before = copy.deepcopy(algorithm.teacher.state_dict())
    disc_before = copy.deepcopy(algorithm.discriminator.state_dict())
    data = batch(cfg)
    scored = []
    disc_forward = type(algorithm.discriminator).forward

    def spy(disc, score_map, image=None):
        scored.append(score_map.detach().clone())
        return disc_forward(disc, score_map, image)

    with mock.patch.object(teacher_head, 'loss_by_feat') as teacher_loss, \
            mock.patch.object(type(algorithm.discriminator), 'forward', spy):
        log_vars = algorithm.train_step(copy.deepcopy(data), optim_wrapper)
    teacher_loss.assert_not_called()
    assert {
        'student.decode.loss_depth_bin', 'distill.loss_pa', 'distill.loss_ho',
        'disc.loss_gp', 'disc.wdist'
    } <= set(log_vars)
    size = CROP // 8
    assert scored and all(m.shape[1:] == (1, size, size) for m in scored)

    inputs = algorithm.data_preprocessor(copy.deepcopy(data), True)['inputs']
    real, fake = algorithm._holistic_maps()
    with torch.no_grad():
        logits = algorithm.teacher(inputs, mode='tensor')
    assert torch.allclose(real[0], teacher_head.logits_to_depth(logits))
    assert fake[0].shape == real[0].shape == (2, 1, size, size)
    _assert_same(teacher_before, algorithm.teacher.state_dict())
    after = algorithm.discriminator.state_dict()
    assert any(not torch.equal(v, after[k]) for k, v in disc_before.items())


def test_discriminator_for_bin_logits_is_refused_at_build(cfg):
    cfg.model.discriminator.in_channels = 16  # the bins, not the depth
    with pytest.raises(
            ValueError,
            match=r"discriminator\.in_channels is 16, but the student "
            r"recorder 'depth' on 'decode_head\.expected_depth' gives maps "
            r'of 1 channel\(s\): set discriminator\.in_channels=1'):
        build(cfg)


def test_wrong_channels_of_an_unknown_width_fail_at_the_first_step(cfg):
    """A recorder whose module tells no width is checked on the maps."""
    cfg.model.discriminator.in_channels = 3
    with mock.patch(ALGORITHM + 'recorded_channels', return_value=None):
        algorithm, optim_wrapper = build(cfg)
    algorithm.train()
    with pytest.raises(
            ValueError,
            match=r"discriminator\.in_channels is 3, but the recorder 'depth' "
            r'\(this step\) gives maps of 1 channel'):
        algorithm.train_step(batch(cfg), optim_wrapper)


def test_resume_continues_exactly(cfg, tmp_path, monkeypatch):
    """A resumed depth run's next step equals the uninterrupted run's."""
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    allow_mmengine_checkpoints()

    def make_runner(name: str, resume: bool) -> Runner:
        run_cfg = copy.deepcopy(cfg)
        run_cfg.work_dir = str(tmp_path / 'work')
        run_cfg.experiment_name = name
        run_cfg.visualizer.name = name
        run_cfg.resume = resume
        run_cfg.randomness = dict(seed=0)
        return Runner.from_cfg(run_cfg)

    uninterrupted = make_runner('first', resume=False)
    uninterrupted.train()  # 2 iterations, then saves iter_2.pth
    resumed = make_runner('second', resume=True)
    resumed.train()  # loads iter_2.pth; nothing left to train
    assert resumed.iter == 2
    _assert_same(_state(uninterrupted), _state(resumed))
    assert resumed.optim_wrapper['discriminator'].optimizer.state
    data = batch(cfg, (2, 3))
    for runner in (uninterrupted, resumed):
        torch.manual_seed(123)
        runner.model.train()
        runner.model.train_step(copy.deepcopy(data), runner.optim_wrapper)
    _assert_same(_state(uninterrupted), _state(resumed))

# Copyright (c) mmskd contributors. All rights reserved.
"""A student at its own resolution (``input_scales``): what each network
sees, how each term aligns the maps, validation, and the bad settings."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DATASETS, MODELS, init_default_scope

from mmskd.models.losses import PixelWiseDivergence
from mmskd.models.utils import InputScales, unwrap
from mmskd.testing import REPO, tiny_cfg, tiny_det_options

SKD_HALF = osp.join(
    REPO, 'configs/resolution/'
    'skd_pspnet_r101-d8-512x1024_pspnet_r18-d8-256x512_4xb2-80k_'
    'cityscapes.py')


@pytest.fixture(scope='module')
def cfg(cityscapes_root):
    # tiny_seg_options: 64x128 crops and val images.
    return tiny_cfg(SKD_HALF, cityscapes_root)


def build(cfg):
    init_default_scope(cfg.default_scope)
    torch.manual_seed(0)
    algorithm = MODELS.build(copy.deepcopy(cfg.model))
    algorithm.init_weights()
    return algorithm


def batch(cfg, split='train'):
    init_default_scope(cfg.default_scope)
    dataset = DATASETS.build(cfg[f'{split}_dataloader'].dataset)
    return pseudo_collate([dataset[0], dataset[1]])


def record_input_sizes(algorithm):
    """The (H, W) each backbone is called with."""
    sizes = dict(student=[], teacher=[])
    for role in sizes:
        getattr(algorithm, role).backbone.register_forward_pre_hook(
            lambda module, args, role=role: sizes[role].append(
                tuple(args[0].shape[-2:])))
    return sizes


def test_half_resolution_batch_is_the_mean_of_each_2x2_block():
    inputs = torch.arange(
        2 * 3 * 8 * 16, dtype=torch.float32).reshape(2, 3, 8, 16)
    scales = InputScales(student=0.5, size_divisor=4)
    blocks = inputs.reshape(2, 3, 4, 2, 8, 2).mean(dim=(3, 5))
    torch.testing.assert_close(scales.for_training('student', inputs), blocks)
    assert scales.for_training('teacher', inputs) is inputs
    assert scales.differ and not InputScales().differ
    # Test images of any size: rounded, not refused; halves round up, as
    # mmcv's rescale_size (4.5 -> 5, 6.5 -> 7; Python's round gives 4, 6).
    odd = torch.zeros(1, 3, 9, 13)
    assert scales.for_prediction('student', odd).shape == (1, 3, 5, 7)


@pytest.mark.parametrize('cfg, match', [
    (dict(student=0), 'input_scales.student must be a positive number'),
    (dict(teacher=True), 'input_scales.teacher must be a positive number'),
    (dict(size_divisor=0), 'size_divisor must be a positive int'),
    (dict(studnet=0.5), "no setting studnet; it takes 'student'"),
])
def test_bad_settings_are_named(cfg, match):
    with pytest.raises(ValueError, match=match):
        InputScales.build(cfg)


@pytest.mark.parametrize('scale, size, message', [
    (0.3, (64, 128), '19.2x38.4 pixels'),
    (0.5, (40, 128), '20x64 pixels, which is not a whole multiple of '
     'size_divisor=8'),
])
def test_a_size_off_the_stride_is_refused(scale, size, message):
    with pytest.raises(ValueError) as err:
        InputScales(student=scale).for_training('student',
                                                torch.zeros(1, 3, *size))
    assert message in str(err.value)
    assert 'Crop the batch' in str(err.value)


def test_the_network_at_the_batch_size_is_checked_too():
    """A teacher at twice the batch: the student's 36 rows would give maps
    that do not cover the image as the teacher's do."""
    scales = InputScales(teacher=2.0)
    batch = torch.zeros(1, 3, 36, 40)
    with pytest.raises(ValueError, match='input_scales.student=1 turns'):
        scales.for_training('student', batch)
    assert scales.for_training('teacher', torch.zeros(1, 3, 32, 40)).shape \
        == (1, 3, 64, 80)


def test_slide_inference_is_refused(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.architecture.test_cfg = dict(
        mode='slide', crop_size=(32, 32), stride=(16, 16))
    with pytest.raises(ValueError, match="test_cfg=dict\\(mode='whole'\\)"):
        build(cfg)


def test_each_network_trains_at_its_size_and_terms_align(cfg):
    algorithm = build(cfg)
    sizes = record_input_sizes(algorithm)
    records = {}
    distiller = unwrap(algorithm.distiller)
    pixel_wise = distiller.distill_losses['loss_pi']
    pixel_wise.register_forward_hook(
        lambda module, args, kwargs, out: records.update(pi=(kwargs, out)),
        with_kwargs=True)
    optim_wrapper = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    log_vars = algorithm.train_step(batch(cfg), optim_wrapper)
    assert sizes == dict(student=[(32, 64)], teacher=[(64, 128)])
    inputs, loss_pi = records['pi']
    logits_S, logits_T = inputs['preds_S'], inputs['preds_T']
    assert logits_S.shape[-2:] == (4, 8) and logits_T.shape[-2:] == (8, 16)
    # PI: the student's score map bilinearly upsampled to the teacher's.
    upsampled = F.interpolate(
        logits_S, size=(8, 16), mode='bilinear', align_corners=False)
    expected = PixelWiseDivergence(
        tau=pixel_wise.tau, loss_weight=pixel_wise.loss_weight)(upsampled,
                                                                logits_T)
    torch.testing.assert_close(loss_pi, expected)
    for key in ('distill.loss_pa', 'distill.loss_ho', 'disc.loss_gp'):
        assert torch.isfinite(log_vars[key]), key


def test_validation_runs_the_student_at_its_size(cfg):
    algorithm = build(cfg).eval()
    sizes = record_input_sizes(algorithm)
    results = algorithm.val_step(batch(cfg, 'val'))
    assert sizes == dict(student=[(32, 64)], teacher=[])
    # mmseg upsamples the logits to the image, which the labels cover.
    assert [tuple(r.pred_sem_seg.shape) for r in results] == [(64, 128)] * 2


def test_a_student_without_scaled_maps_is_named(cfg):
    """The student's scale changes only the score-map terms' alignment; a
    term that does not align refuses the pair at the first step."""
    cfg = copy.deepcopy(cfg)
    cfg.model.distiller.distill_losses.loss_pi.resize_student = False
    algorithm = build(cfg)
    optim_wrapper = build_optim_wrapper(algorithm, cfg.optim_wrapper)
    with pytest.raises(ValueError, match='Set resize_student=True'):
        algorithm.train_step(batch(cfg), optim_wrapper)


def test_input_scales_are_refused_where_they_cannot_apply(cfg):
    cfg = copy.deepcopy(cfg)
    cfg.model.input_scales = dict(student=0.5, size_divisor=3)
    with pytest.raises(ValueError, match='size_divisor=3'):
        algorithm = build(cfg)
        algorithm.train_step(
            batch(cfg), build_optim_wrapper(algorithm, cfg.optim_wrapper))
    # Knowledge adaptation's phase 1 has no student to scale.
    translator = dict(
        _scope_='mmskd',
        type='KnowledgeTranslatorPretrain',
        architecture=cfg.model.architecture,
        teacher=cfg.model.teacher,
        distiller=dict(
            teacher_recorders=cfg.model.distiller.teacher_recorders),
        translator=dict(type='KnowledgeTranslator'),
        teacher_recorder='feature',
        input_scales=dict(student=0.5))
    with pytest.raises(ValueError, match='takes no input_scales'):
        MODELS.build(translator)
    # Refused before either network is built (or a checkpoint read).
    translator.update(
        architecture=dict(type='NoSuchModel'),
        teacher=dict(type='NoSuchModel'))
    with pytest.raises(ValueError, match='takes no input_scales'):
        MODELS.build(translator)


def test_a_detector_student_is_refused(tmp_path):
    """Boxes are in input pixels: a detector resizes in its pipeline."""
    cfg = Config.fromfile(
        osp.join(
            REPO, 'configs/cwd/cwd_fpn_retinanet_r101_retinanet_r50_'
            '2x_coco.py'))
    cfg.merge_from_dict(tiny_det_options(cfg, str(tmp_path)))
    cfg.model.input_scales = dict(student=0.5)
    with pytest.raises(ValueError, match='serves segmentation students'):
        build(cfg)

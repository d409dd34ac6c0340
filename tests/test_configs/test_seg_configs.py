# Copyright (c) mmskd contributors. All rights reserved.
"""Every segmentation config under configs/ trains, validates and names the
right teacher.

Each leaf config whose ``default_scope`` is 'mmseg' is loaded as users load
it, shrunk with ``tiny_seg_options`` (plain dotted overrides: narrow ResNet-18
models, generated data in the layout of its dataset, 1 iteration), trained
in-process with ``Runner.from_cfg(cfg).train()`` and validated on 2 images.
Plain model configs that train a teacher the model zoo lacks (CamVid's)
are trained the same way at the teacher's tiny width. Detection configs
are tested in tests/test_configs for mmdet.
"""
import copy
import math
import os.path as osp
from typing import Dict
from urllib.parse import urlparse

import pytest
import yaml
from mmengine.config import Config

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.models.utils import resolve_config_path
from mmskd.testing import (REPO, assert_amp_wrappers, build_runner,
                           leaf_configs, loaded_config, logged_scalars,
                           metafile_entry, one_per_method, tiny_seg_options,
                           write_ade20k_like, write_camvid_like,
                           write_cityscapes_with_extra, write_voc_like)

# Small enough for ~1 s per config on 2 CPU cores, large enough for every
# head: DeepLabV3+ records at 1/4 (8x16), PSP/ASPP heads at 1/8 (4x8).
IMAGE_SIZE = (32, 64)
MODEL_ZOO_HOST = 'download.openmmlab.com'


# Distillation configs (a model with a teacher) and the plain model configs
# that train a teacher the model zoo lacks (e.g. configs/camvid/); a config
# that does not load counts as a distillation config, so that it fails.
ALL_SEG_CONFIGS = leaf_configs('mmseg')
SEG_CONFIGS = {
    name: cfg
    for name, cfg in ALL_SEG_CONFIGS.items()
    if isinstance(cfg, Exception) or 'teacher' in cfg.model
}
# Plain model configs: teachers the model zoo lacks (CamVid's), which start
# from its weights (`load_from`), and students trained alone with a
# training-only constraint (configs/auxiliary), from ImageNet weights.
PLAIN_CONFIGS = {
    name: cfg
    for name, cfg in ALL_SEG_CONFIGS.items() if name not in SEG_CONFIGS
}
TEACHER_CONFIGS = {
    name: cfg
    for name, cfg in PLAIN_CONFIGS.items() if cfg.get('load_from')
}
STUDENT_CONFIGS = {
    name: cfg
    for name, cfg in PLAIN_CONFIGS.items() if name not in TEACHER_CONFIGS
}


def get_config(name: str) -> Config:
    return loaded_config(SEG_CONFIGS, name)


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory) -> Dict[str, str]:
    """Generated datasets by mmseg dataset type, 2 images per split.

    The Cityscapes root also has an image-only ``train_extra`` split, the
    folder of the unlabelled-image configs.
    """
    height, width = IMAGE_SIZE
    size = dict(num_images=2, height=height, width=width)
    cityscapes = write_cityscapes_with_extra(
        str(tmp_path_factory.mktemp('cityscapes')), **size)
    return dict(
        CheckedCityscapesDataset=cityscapes,
        UnlabelledImageDataset=cityscapes,
        CheckedADE20KDataset=write_ade20k_like(
            str(tmp_path_factory.mktemp('ade20k')), **size),
        CamVidDataset=write_camvid_like(
            str(tmp_path_factory.mktemp('camvid')), **size),
        CheckedPascalVOCDataset=write_voc_like(
            str(tmp_path_factory.mktemp('voc')), **size))


def test_discovers_the_segmentation_zoo():
    names = set(SEG_CONFIGS)
    for name in (
            'cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
            'cityscapes-512x1024.py',
            'cwd/cwd_fea_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
            'cityscapes-512x1024.py',
            'skd/skd_pi_pa_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
            'cityscapes-512x1024.py',
            'cwd/cwd_logits_deeplabv3plus_r101-d8_deeplabv3plus_r18-d8_4xb2-'
            '80k_cityscapes-512x1024.py',
            'cwd/cwd_logits_pspnet_r101-d8_pspnet_r18-d8_4xb4-80k_'
            'ade20k-512x512.py',
            'skd/skd_cwd_pspnet_r101-d8_pspnet_m-v2-d8_4xb2-80k_'
            'cityscapes-512x1024.py',
            'skd/skd_pspnet_r101-d8_pspnet_r18-0.5x-d8_4xb2-80k_'
            'cityscapes-512x1024.py',
            'cwd/cwd_fea_pspnet_r101-d8_pspnet_r18-d8_4xb4-40k_'
            'voc12aug-512x512.py',
            'skd/skd_pspnet_r101-d8_pspnet_r18-d8_4xb4-40k_'
            'camvid-cityscapes-unl-360x480.py',
            'skd/skd_pspnet_r101-d8_pspnet_r18-d8_4xb4-80k_'
            'cityscapes-trainextra-unl-512x1024.py',
            'comparison/pi_mimic_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_'
            'cityscapes-512x1024.py'):
        assert name in names
    assert not any('_base_' in name for name in names)


@pytest.mark.parametrize('name, amp', [
    pytest.param(name, amp, id=f'{name}-{"amp" if amp else "fp32"}')
    for name in sorted(SEG_CONFIGS)
    for amp in ((False, True) if name in one_per_method(SEG_CONFIGS) else
                (False, ))
])
def test_trains_and_validates(name, amp, data_roots, fast_runner, tmp_path):
    cfg = get_config(name)
    cfg.merge_from_dict(
        tiny_seg_options(
            cfg,
            data_roots,
            max_iters=1,
            val_interval=1,
            image_size=IMAGE_SIZE))
    runner = build_runner(cfg, name, str(tmp_path), amp=amp)
    runner.train()
    if amp:
        assert_amp_wrappers(runner)

    train, val = logged_scalars(runner.log_dir)
    distill = {key: value for key, value in train.items()
               if key.startswith('distill.')}
    assert distill, f'no distill.* loss logged: {sorted(train)}'
    for key, value in distill.items():
        assert math.isfinite(value), f'{key} = {value}'
    assert math.isfinite(train['loss'])
    assert 'mIoU' in val, f'no validation logged: {val}'


def model_zoo_entry(cfg_path: str) -> dict:
    """The entry of a model-zoo config in its mmseg metafile."""
    local = resolve_config_path(cfg_path)
    stem = osp.splitext(osp.basename(local))[0]
    with open(osp.join(osp.dirname(local), 'metafile.yaml')) as file:
        metafile = yaml.safe_load(file)
    for model in metafile['Models']:
        if model['Name'] == stem:
            return model
    raise AssertionError(f'{stem} is not in its metafile')


def model_zoo_weights(cfg_path: str) -> str:
    """The ``Weights`` URL of a model-zoo config in its metafile."""
    return model_zoo_entry(cfg_path)['Weights']


@pytest.mark.parametrize('name', sorted(SEG_CONFIGS))
def test_teacher_ckpt_is_the_model_zoo_checkpoint(name):
    """The teacher's weights are the model zoo's, or, for a teacher the zoo
    lacks, the last checkpoint of the configs/ file that trains it."""
    model = get_config(name).model
    local = osp.normpath(resolve_config_path(model.teacher.cfg_path))
    if local.startswith(osp.join(REPO, 'configs') + osp.sep):
        teacher = Config.fromfile(local)
        stem = osp.splitext(osp.basename(local))[0]
        expected = f'work_dirs/{stem}/iter_{teacher.train_cfg.max_iters}.pth'
        assert model.teacher_ckpt == expected, \
            f'teacher_ckpt {model.teacher_ckpt} is not where training ' \
            f'{local} leaves its last checkpoint ({expected})'
        return
    url = urlparse(model.teacher_ckpt)
    assert url.scheme == 'https' and url.netloc == MODEL_ZOO_HOST, \
        f'teacher_ckpt {model.teacher_ckpt} is not a model-zoo download'
    expected = model_zoo_weights(model.teacher.cfg_path)
    assert osp.basename(url.path) == osp.basename(urlparse(expected).path), \
        f'teacher_ckpt {model.teacher_ckpt} is not the weights of ' \
        f'{model.teacher.cfg_path} ({expected})'


@pytest.mark.parametrize('name', sorted(SEG_CONFIGS))
def test_metafile_entry_matches_the_config(name):
    """Each config has an entry; a teacher or student with model-zoo weights
    there is that zoo model, with its weights and mIoU (one without weights
    is no zoo model, and the entry's comment says what it is)."""
    entry = metafile_entry(name)
    cfg = get_config(name)
    metadata = entry['Metadata']
    assert metadata['Iterations'] == cfg.train_cfg.max_iters
    teacher = metadata['Teacher']
    if teacher['Config'].startswith('mmseg::'):
        assert teacher['Config'] == cfg.model.teacher.cfg_path
        assert teacher['Weights'] == cfg.model.teacher_ckpt
    else:  # a teacher the user trains with a configs/ file first: no
        # published weights (test_teacher_ckpt_is_the_model_zoo_checkpoint
        # checks its teacher_ckpt)
        assert osp.samefile(osp.join(REPO, teacher['Config']),
                            cfg.model.teacher.cfg_path)
        assert teacher['Weights'] is None
    student = metadata['Student']
    if student['Config'].startswith('mmseg::'):
        assert student['Config'] == cfg.model.architecture.cfg_path
    for role, key in (('Teacher', 'teacher'), ('Student', 'architecture')):
        if metadata[role]['Weights'] is None:
            continue
        cfg_path = cfg.model[key].cfg_path
        assert metadata[role]['Config'] == cfg_path, role
        zoo = model_zoo_entry(cfg_path)
        assert metadata[role]['Weights'] == zoo['Weights'], role
        results = zoo['Results']
        results = results[0] if isinstance(results, list) else results
        assert metadata[role]['Metrics']['mIoU'] == \
            results['Metrics']['mIoU'], role


def test_discovers_the_teacher_configs():
    assert 'camvid/pspnet_r101-d8_4xb2-40k_camvid-360x480.py' in \
        TEACHER_CONFIGS


@pytest.mark.parametrize('name', sorted(TEACHER_CONFIGS))
def test_teacher_config_trains_and_validates(name, data_roots, fast_runner,
                                             tmp_path):
    """A teacher trained alone, at the tiny teacher width; it starts from
    model-zoo weights (not downloaded here)."""
    cfg = copy.deepcopy(TEACHER_CONFIGS[name])
    url = urlparse(cfg.load_from)
    assert url.scheme == 'https' and url.netloc == MODEL_ZOO_HOST, \
        f'load_from {cfg.load_from} is not a model-zoo download'
    cfg.merge_from_dict(
        tiny_seg_options(
            cfg,
            data_roots,
            role='teacher',
            max_iters=1,
            val_interval=1,
            image_size=IMAGE_SIZE))
    cfg.load_from = None
    runner = build_runner(cfg, name, str(tmp_path))
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    assert math.isfinite(train['loss'])
    assert 'mIoU' in val, f'no validation logged: {val}'


def test_discovers_the_plain_student_configs():
    assert 'auxiliary/pspnet_r18-d8_aux-conv1x1_4xb4-80k_ade20k-512x512.py' \
        in STUDENT_CONFIGS
    assert all(name.startswith('auxiliary/') for name in STUDENT_CONFIGS)


def auxiliary_loss_keys(model: dict) -> set:
    """The logged losses of a segmentor's auxiliary heads: mmseg prefixes
    one head with ``aux.``, a list of heads with ``aux_0.``, ``aux_1.``..."""
    heads = model.get('auxiliary_head')
    if isinstance(heads, list):
        return {f'aux_{index}.loss_ce' for index in range(len(heads))}
    return {'aux.loss_ce'} if heads else set()


@pytest.mark.parametrize('name', sorted(STUDENT_CONFIGS))
def test_student_config_trains_and_validates(name, data_roots, fast_runner,
                                             tmp_path):
    """A student trained alone at the tiny student width, with the loss of
    every auxiliary head it configures (none for the baseline)."""
    cfg = copy.deepcopy(STUDENT_CONFIGS[name])
    cfg.merge_from_dict(
        tiny_seg_options(
            cfg,
            data_roots,
            max_iters=1,
            val_interval=1,
            image_size=IMAGE_SIZE))
    runner = build_runner(cfg, name, str(tmp_path))
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    logged_aux = {
        key
        for key in train if key.startswith('aux') and 'loss' in key
    }
    assert logged_aux == auxiliary_loss_keys(cfg.model), sorted(train)
    assert all(math.isfinite(train[key]) for key in logged_aux)
    assert math.isfinite(train['loss'])
    assert 'mIoU' in val, f'no validation logged: {val}'

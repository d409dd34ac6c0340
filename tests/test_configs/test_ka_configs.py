# Copyright (c) mmskd contributors. All rights reserved.
"""Every knowledge-adaptation config (configs/ka) loads, names its model-zoo
teacher and trains on generated data.

Each leaf is shrunk with ``mmskd.testing.tiny_ka_options`` (a tiny ResNet-18
DeepLabV3+ teacher with a saved checkpoint, a MobileNetV2 at 1/4 width,
64x64 images in the layout of its dataset) and trained in-process: the two
phase-1 leaves for their one epoch (their checkpoints feed the phase-2
leaves), every other leaf for 1 iteration and a validation. The full-size
pair is built once to check the output strides of the recipe.
"""
import math
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.models.adapters import decode_identity
from mmskd.models.utils import resolve_config_path
from mmskd.registry import MODELS as MMSKD_MODELS
from mmskd.testing import (CONFIG_ROOT, build_runner, loaded_config,
                           logged_scalars, metafile_entry, tiny_ka_options,
                           write_cityscapes_like, write_teacher_checkpoint,
                           write_voc_like)

IMAGE_SIZE = (64, 64)
PAIR = 'deeplabv3plus_r101-d8_deeplabv3_m-v2-d16'
PHASE_ONE = {
    'CheckedPascalVOCDataset':
    'ka/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_voc12aug-512x512.py',
    'CheckedCityscapesDataset':
    'ka/ka_translator_deeplabv3plus_r101-d8_4xb4-1e_cityscapes-512x1024.py',
}
PHASE_TWO = {
    'CheckedPascalVOCDataset': f'ka/ka_{PAIR}_4xb4-30k_voc12aug-512x512.py',
    'CheckedCityscapesDataset':
    f'ka/ka_{PAIR}_4xb4-90k_cityscapes-512x1024.py',
}
BASELINES = [
    f'ka/{method}_{PAIR}_4xb4-30k_voc12aug-512x512.py'
    for method in ('kd_t2', 'kd_t4', 'kd_t6', 'fitnet')
]
KA_CONFIGS = {
    name: Config.fromfile(osp.join(CONFIG_ROOT, name))
    for name in [*PHASE_ONE.values(), *PHASE_TWO.values(), *BASELINES]
}


def dataset_type(cfg: Config) -> str:
    dataset = cfg.train_dataloader.dataset
    return dataset.datasets[0].type if dataset.type == 'ConcatDataset' \
        else dataset.type


def test_the_ka_folder_holds_these_configs_only():
    import glob
    found = {
        osp.relpath(path, CONFIG_ROOT)
        for path in glob.glob(osp.join(CONFIG_ROOT, 'ka', '*.py'))
    }
    assert found == set(KA_CONFIGS)


@pytest.mark.parametrize('data', sorted(PHASE_TWO))
def test_phase_two_reads_the_checkpoint_of_its_phase_one(data):
    phase_one = KA_CONFIGS[PHASE_ONE[data]]
    phase_two = KA_CONFIGS[PHASE_TWO[data]]
    stem = osp.splitext(osp.basename(PHASE_ONE[data]))[0]
    # tools/train.py's default work_dir, and the epoch checkpoint.
    assert phase_two.model.translator_ckpt == f'work_dirs/{stem}/epoch_1.pth'
    for key in ('teacher', 'teacher_ckpt', 'architecture'):
        assert phase_one.model[key] == phase_two.model[key], key
    assert dataset_type(phase_one) == dataset_type(phase_two) == data
    assert phase_one.train_cfg.max_epochs == 1
    assert phase_one.optim_wrapper.optimizer.lr == 0.1
    assert phase_one.optim_wrapper.optimizer.weight_decay == 1e-4
    assert phase_one.model.translator.sparsity_weight == 1e-7
    # The paper's student recipe: 16 images a step, SGD lr 0.007, poly 0.9,
    # 30k iterations on VOC trainaug and 90k on Cityscapes.
    assert phase_two.train_dataloader.batch_size == 4
    assert phase_two.optim_wrapper.optimizer.lr == 0.007
    assert phase_two.optim_wrapper.optimizer.weight_decay == 4e-5
    assert phase_two.param_scheduler[0].power == 0.9
    assert phase_two.train_cfg.max_iters == (
        30000 if data == 'CheckedPascalVOCDataset' else 90000)
    losses = phase_two.model.distiller.distill_losses
    assert (losses.loss_adapt.loss_weight, losses.loss_aff.loss_weight) == \
        (50.0, 1.0)


def model_zoo_weights(cfg_path: str) -> str:
    """The ``Weights`` URL that a model-zoo config's metafile lists."""
    local = resolve_config_path(cfg_path)
    stem = osp.splitext(osp.basename(local))[0]
    with open(osp.join(osp.dirname(local), 'metafile.yaml')) as file:
        models = yaml.safe_load(file)['Models']
    return next(m['Weights'] for m in models if m['Name'] == stem)


@pytest.mark.parametrize('name', sorted(KA_CONFIGS))
def test_teacher_ckpt_is_the_model_zoo_checkpoint(name):
    model = KA_CONFIGS[name].model
    assert model.teacher_ckpt == model_zoo_weights(model.teacher.cfg_path)


@pytest.mark.parametrize('name', sorted(set(KA_CONFIGS) - set(
    PHASE_ONE.values())))
def test_metafile_entry_matches_the_config(name):
    """Phase-2 configs and baselines have an entry (phase 1 has none) that
    names their teacher, its weights and their schedule."""
    entry = metafile_entry(name)
    cfg = KA_CONFIGS[name]
    teacher = entry['Metadata']['Teacher']
    assert teacher['Config'] == cfg.model.teacher.cfg_path
    assert teacher['Weights'] == cfg.model.teacher_ckpt
    assert entry['Metadata']['Iterations'] == cfg.train_cfg.max_iters


def test_full_size_recipe_has_the_papers_output_strides():
    cfg = loaded_config(KA_CONFIGS, PHASE_ONE['CheckedPascalVOCDataset'])
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.pretrained = None
    init_default_scope('mmseg')
    algorithm = MODELS.build(cfg.model).eval()
    images = torch.rand(1, 3, 64, 96)
    with torch.no_grad():
        algorithm.run_teacher(images, None)
        feats = algorithm.distiller.teacher_recorders.get_recorder(
            'feature').get_record_data()
        code = algorithm.translator(feats)['latent']
        # Phase one builds no student; its config names the phase-2 one.
        student = MMSKD_MODELS.build(cfg.model.architecture).eval()
        fused = student.decode_head.bottleneck
        student_feats = []
        hook = fused.register_forward_hook(
            lambda module, args, out: student_feats.append(out))
        student(images, mode='tensor')
        hook.remove()
    assert feats.shape == (1, 512, 8, 12)  # teacher: stride 8
    assert code.shape == (1, 512, 4, 6)  # translator code: stride 16
    assert student_feats[0].shape == (1, 256, 4, 6)  # student: stride 16
    assert student.decode_head.dilations == (1, )
    assert not student.with_auxiliary_head


@pytest.mark.parametrize('relu', [False, True])
def test_weighted_adaptation_starts_on_the_cross_entropys_scale(relu):
    # The VOC leaf's 50 * L_adapt on unrelated random maps of its code's
    # shape (the teacher's 512-channel feature at stride 16 of the 512x512
    # crop, checked above on a small input), against the cross-entropy of
    # a student that predicts all 21 classes alike (ln 21).
    cfg = loaded_config(KA_CONFIGS, PHASE_TWO['CheckedPascalVOCDataset'])
    loss = MMSKD_MODELS.build(cfg.model.distiller.distill_losses.loss_adapt)
    crops = [t for t in cfg.train_pipeline if t['type'] == 'RandomCrop']
    height, width = (side // 16 for side in crops[0]['crop_size'])
    torch.manual_seed(0)
    code, adapted = torch.randn(2, 2, 512, height, width)
    if relu:  # the adapter ends in a ReLU
        code, adapted = code.relu(), adapted.relu()
    cross_entropy = math.log(21)
    ratio = loss(adapted, code).item() / cross_entropy
    assert 1 / 3 <= ratio <= 3, ratio


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory) -> dict:
    height, width = IMAGE_SIZE
    return dict(
        CheckedPascalVOCDataset=write_voc_like(
            str(tmp_path_factory.mktemp('voc')), height=height, width=width),
        CheckedCityscapesDataset=write_cityscapes_like(
            str(tmp_path_factory.mktemp('cityscapes')),
            height=height,
            width=width))


def tiny(name: str, data_roots: dict, **overrides) -> Config:
    cfg = loaded_config(KA_CONFIGS, name)
    cfg.merge_from_dict(
        tiny_ka_options(
            cfg, data_roots[dataset_type(cfg)], IMAGE_SIZE, max_iters=1))
    cfg.merge_from_dict(overrides)
    return cfg


@pytest.fixture(scope='module')
def teacher_ckpts(data_roots, tmp_path_factory) -> dict:
    """A saved tiny teacher per dataset (the leaves of one share it)."""
    folder = tmp_path_factory.mktemp('teachers')
    return {
        data:
        write_teacher_checkpoint(
            tiny(name, data_roots), str(folder / f'{data}.pth'))
        for data, name in PHASE_ONE.items()
    }


@pytest.fixture(scope='module')
def phase_one_runs(data_roots, teacher_ckpts, fast_runner,
                   tmp_path_factory) -> dict:
    """Each phase-1 leaf trained for its epoch: dataset -> (its checkpoint,
    its log dir)."""
    runs = {}
    for data, name in PHASE_ONE.items():
        cfg = tiny(name, data_roots,
                   **{'model.teacher_ckpt': teacher_ckpts[data]})
        work_dir = str(tmp_path_factory.mktemp(data))
        runner = build_runner(cfg, name, work_dir)
        runner.train()
        runs[data] = (osp.join(work_dir, 'epoch_1.pth'), runner.log_dir)
    return runs


@pytest.mark.parametrize('data', sorted(PHASE_ONE))
def test_phase_one_trains_one_epoch_and_writes_the_encoder(
        data, phase_one_runs):
    path, log_dir = phase_one_runs[data]
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    state = checkpoint['state_dict']
    assert any(key.startswith('translator.encoder.') for key in state)
    assert decode_identity(state['translator._extra_state'])['channels'] == 32
    # One pass: 8 VOC trainaug images (train + aug) or 4 Cityscapes ones,
    # 2 a batch.
    assert checkpoint['meta']['iter'] == (
        4 if data == 'CheckedPascalVOCDataset' else 2)
    train, val = logged_scalars(log_dir)
    assert math.isfinite(train['translator.loss_rec'])
    assert train['translator.loss_sparsity'] > 0
    assert not val, f'phase 1 validated: {val}'


# Every phase-2 and baseline leaf in fp32; the two KA leaves with --amp too.
RUNS = [(name, False) for name in sorted([*PHASE_TWO.values(), *BASELINES])
        ] + [(name, True) for name in sorted(PHASE_TWO.values())]


@pytest.mark.parametrize(
    'name,amp', RUNS, ids=[f'{n}-{"amp" if a else "fp32"}' for n, a in RUNS])
def test_trains_and_validates(name, amp, data_roots, teacher_ckpts,
                              phase_one_runs, fast_runner, tmp_path):
    cfg = loaded_config(KA_CONFIGS, name)
    data = dataset_type(cfg)
    overrides = {'model.teacher_ckpt': teacher_ckpts[data]}
    if 'translator_ckpt' in cfg.model:
        overrides['model.translator_ckpt'] = phase_one_runs[data][0]
    runner = build_runner(
        tiny(name, data_roots, **overrides), name, str(tmp_path), amp=amp)
    runner.train()
    train, val = logged_scalars(runner.log_dir)
    distill = {
        key: value
        for key, value in train.items() if key.startswith('distill.')
    }
    assert distill, f'no distill.* loss logged: {sorted(train)}'
    assert all(math.isfinite(value) for value in distill.values()), distill
    assert 'mIoU' in val, f'no validation logged: {val}'

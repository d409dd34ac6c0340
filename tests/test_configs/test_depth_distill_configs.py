# Copyright (c) mmskd contributors. All rights reserved.
"""The depth distill configs, run as a user runs them.

Every ``configs/depth/*_depthbin_*`` leaf builds its full-size pair, and
after a teacher trained with its own config through ``tools/train.py`` (the
first of the two commands, on generated NYU-layout data, tiny models),
distils for one iteration with that teacher's checkpoint and validates
with the depth metrics: one through ``tools/train.py`` and ``tools/test.py``,
one by ``tools/dist_train.sh`` on two gloo processes, the others in-process
as ``tools/train.py`` runs them.
"""
import glob
import os.path as osp
import re
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from test_depth_configs import assert_depth_metrics_printed

import mmskd  # noqa: F401  (registers modules, installs the mmrazor fix)
from mmskd.registry import MODELS as MMSKD_MODELS
from mmskd.testing import (CONFIG_ROOT, assert_amp_wrappers,
                           assert_no_wrapper_names,
                           assert_resumes_in_one_process,
                           assert_student_converts, assert_test_py_reproduces,
                           build_runner, cli_options, logged_scalars,
                           metafile_entry, run_command, run_tool,
                           tiny_depth_options, write_nyu_frames,
                           write_nyu_like)

DISTILL_CONFIGS = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, 'depth', '*_depthbin_*.py')))
TEACHER = 'depth/depthbin_r101-d8_4xb3-20k_nyu-480x480.py'
SKD_MV2 = 'depth/skd_depthbin_r101-d8_depthbin_m-v2-d8_4xb3-20k_nyu-480x480.py'
SKD_R18 = 'depth/skd_depthbin_r101-d8_depthbin_r18-d8_4xb3-20k_nyu-480x480.py'
PI_MV2 = ('depth/skd_pi_depthbin_r101-d8_depthbin_m-v2-d8_4xb3-20k_'
          'nyu-480x480.py')
SKD_MV2_UNL = ('depth/skd_depthbin_r101-d8_depthbin_m-v2-d8_4xb6-20k_'
               'nyu-unl-480x480.py')
# The terms each config logs at its training iteration.
TERMS = {
    SKD_MV2: ('distill.loss_pa', 'distill.loss_ho', 'disc.loss_adv',
              'disc.loss_gp', 'disc.wdist'),
    SKD_R18: ('distill.loss_pa', 'distill.loss_ho', 'disc.loss_gp'),
    PI_MV2: ('distill.loss_pi', ),
    SKD_MV2_UNL: ('distill.loss_pa', 'distill.loss_ho', 'disc.loss_gp'),
}


def test_discovers_the_distill_configs():
    assert set(DISTILL_CONFIGS) == set(TERMS)


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_config_builds_its_full_size_pair(name):
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    # The checkpoint tools/train.py leaves in the teacher's default work dir.
    teacher_run = osp.splitext(osp.basename(TEACHER))[0]
    assert cfg.model.teacher_ckpt == \
        f'work_dirs/{teacher_run}/iter_20000.pth'
    assert cfg.model.teacher.cfg_path.endswith(TEACHER)
    cfg.model.teacher_ckpt = None
    cfg.model.architecture.pretrained = None
    with DefaultScope.overwrite_default_scope('mmseg'):
        algorithm = MODELS.build(cfg.model)
    for model in (algorithm.student, algorithm.teacher):
        assert type(model).__name__ == 'PatchedDepthEstimator'
        assert model.decode_head.conv_seg.out_channels == 150
    assert algorithm.teacher.backbone.depth == 101
    holistic = 'distill.loss_ho' in TERMS[name]
    assert type(algorithm).__name__ == \
        ('HolisticDistill' if holistic else 'StructuredDistill')
    if holistic:
        assert algorithm.discriminator.in_channels == 1
        assert algorithm.discriminator.condition_on_image
        assert cfg.optim_wrapper.constructor == \
            'mmskd.AdversarialOptimWrapperConstructor'


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_metafile_entry_matches_the_config(name):
    """Each leaf has an entry naming its teacher and student configs (no
    published weights: users train them first) and its schedule."""
    entry = metafile_entry(name)
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    metadata = entry['Metadata']
    for role, key in (('Teacher', 'teacher'), ('Student', 'architecture')):
        assert osp.samefile(
            osp.join(CONFIG_ROOT, '..', metadata[role]['Config']),
            cfg.model[key].cfg_path), role
        assert metadata[role]['Weights'] is None, role
    assert metadata['Iterations'] == cfg.train_cfg.max_iters
    assert entry['Results'][0]['Task'] == 'Depth Estimation'


@pytest.fixture(scope='module')
def nyu_root(tmp_path_factory) -> str:
    """Labelled images and, for the ``nyu-unl`` config, unlabelled frames."""
    root = write_nyu_like(str(tmp_path_factory.mktemp('nyu')))
    return write_nyu_frames(root)


@pytest.fixture(scope='module')
def teacher_ckpt(nyu_root, tmp_path_factory) -> str:
    """The first command: the (tiny) teacher trained with its own config."""
    config = osp.join(CONFIG_ROOT, TEACHER)
    work_dir = str(tmp_path_factory.mktemp('teacher'))
    run_command([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        *cli_options(tiny_depth_options(config, nyu_root, max_iters=1))
    ])
    return osp.join(work_dir, 'iter_1.pth')


def distill_overrides(name: str, nyu_root: str, teacher_ckpt: str) -> dict:
    """One iteration of a tiny distill config from the trained teacher."""
    options = tiny_depth_options(osp.join(CONFIG_ROOT, name), nyu_root, 1)
    options['model.teacher_ckpt'] = teacher_ckpt
    return options


def distill_options(name: str, nyu_root: str, teacher_ckpt: str) -> list:
    """``distill_overrides`` as ``--cfg-options`` words."""
    return cli_options(distill_overrides(name, nyu_root, teacher_ckpt))


def assert_distilled(log: str, name: str) -> None:
    """The terms were trained and the student validated."""
    line = re.findall(r'Iter\(train\) \[1/1\].*', log)
    assert line, log[-3000:]
    for key in ('student.decode.loss_depth_bin', ) + TERMS[name]:
        assert re.search(rf'{re.escape(key)}: -?\d', line[-1]), key
    assert_depth_metrics_printed(log)


def assert_teacher_kept(checkpoint_path: str, teacher_ckpt: str) -> None:
    """The trained teacher is in the distilled checkpoint, as it was."""
    checkpoint = torch.load(checkpoint_path, weights_only=False)
    teacher = torch.load(teacher_ckpt, weights_only=False)['state_dict']
    for key, value in teacher.items():
        assert torch.equal(checkpoint['state_dict'][f'teacher.{key}'], value)


def test_distils_and_tests_through_the_tools(nyu_root, teacher_ckpt,
                                             tmp_path):
    """The second command, then its result through ``tools/test.py``."""
    config = osp.join(CONFIG_ROOT, SKD_MV2)
    work_dir = str(tmp_path / 'work')
    options = distill_options(SKD_MV2, nyu_root, teacher_ckpt)
    trained = run_command([
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        *options
    ])
    assert_distilled(trained.stdout + trained.stderr, SKD_MV2)
    assert_teacher_kept(osp.join(work_dir, 'iter_1.pth'), teacher_ckpt)
    tested = run_command([
        sys.executable, 'tools/test.py', config,
        osp.join(work_dir, 'iter_1.pth'), '--work-dir',
        osp.join(work_dir, 'test'), *options
    ])
    log = tested.stdout + tested.stderr
    assert_depth_metrics_printed(log)
    assert re.search(r'Iter\(test\) .*rmse: \d', log), log[-3000:]


@pytest.mark.parametrize('name, amp', [(SKD_R18, True), (PI_MV2, False),
                                       (SKD_MV2_UNL, False)])
def test_distils_one_iteration(name, amp, nyu_root, teacher_ckpt,
                               fast_runner, tmp_path, monkeypatch):
    """The other leaves in-process, as ``tools/train.py`` runs them (its
    launch path is tested above and by ``dist_train.sh`` below; ``amp`` as
    its ``--amp``), reading the mmengine checkpoint of the teacher as it
    lets torch read them (``allow_mmengine_checkpoints``)."""
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    cfg.merge_from_dict(distill_overrides(name, nyu_root, teacher_ckpt))
    runner = build_runner(cfg, name, str(tmp_path / 'work'), amp=amp)
    runner.train()
    if amp:  # the student's and the discriminator's wrappers
        assert_amp_wrappers(runner)
    log_file, = glob.glob(osp.join(runner.log_dir, '*.log'))
    with open(log_file) as file:
        assert_distilled(file.read(), name)
    assert_teacher_kept(osp.join(str(tmp_path / 'work'), 'iter_1.pth'),
                        teacher_ckpt)
    if name == SKD_MV2_UNL:  # the raw frames were read, without depth
        frames = runner.train_dataloader.dataset.datasets[1]
        assert len(frames) == 2
        assert all(frames.get_data_info(index)['img_path'].endswith('.ppm')
                   for index in range(len(frames)))


def test_frames_alone_train_with_distillation_only(nyu_root, teacher_ckpt,
                                                   fast_runner, tmp_path,
                                                   monkeypatch):
    """Batches of unlabelled frames only: no depth loss, every term."""
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, SKD_MV2_UNL))
    cfg.merge_from_dict(distill_overrides(SKD_MV2_UNL, nyu_root,
                                          teacher_ckpt))
    frames = cfg.train_dataloader.dataset.datasets[1]
    cfg.train_dataloader.dataset = frames
    cfg.train_dataloader.sampler = dict(type='InfiniteSampler')
    runner = build_runner(cfg, SKD_MV2_UNL, str(tmp_path / 'work'))
    runner.train()
    train, _ = logged_scalars(runner.log_dir)
    assert train['student.decode.loss_depth_bin'] == 0
    for key in TERMS[SKD_MV2_UNL]:
        assert train[key] != 0, key


def test_dist_train_two_gloo_processes_then_every_tool(
        nyu_root, teacher_ckpt, tmp_path):
    """Two processes; the checkpoint then gives test.py the run's last
    rmse, converts to the student alone and resumes in one process."""
    config = osp.join(CONFIG_ROOT, SKD_R18)
    options = distill_overrides(SKD_R18, nyu_root, teacher_ckpt)
    work_dir = str(tmp_path / 'work')
    command = [
        'bash', 'tools/dist_train.sh', config, '2', '--work-dir', work_dir,
        *cli_options(options)
    ]
    result = run_tool(command)
    log = result.stdout + result.stderr
    assert 'Distributed training: True' in log
    assert "type='MMSeparateDistributedDataParallel'" in log
    assert_distilled(log, SKD_R18)
    checkpoint = osp.join(work_dir, 'iter_1.pth')
    assert_no_wrapper_names(checkpoint)
    assert_test_py_reproduces(run_command, config, checkpoint, log,
                              str(tmp_path / 'test'), cli_options(options),
                              metrics=('rmse', 'd1'))
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(options)
    assert_student_converts(checkpoint,
                            str(tmp_path / 'student.pth'),
                            MMSKD_MODELS.build(cfg.model.architecture))
    assert_resumes_in_one_process(
        run_command, config, work_dir,
        cli_options(dict(options, **{'train_cfg.max_iters': 2})), 1, 2)

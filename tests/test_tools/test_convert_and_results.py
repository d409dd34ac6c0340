# Copyright (c) mmskd contributors. All rights reserved.
"""tools/model_converters/convert_to_student.py,
tools/analysis_tools/results_table.py and the metafiles."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.utils import get_installed_path

from mmskd.models.utils import resolve_config_path
from mmskd.testing import (REPO, cli_options, load_tool, run_command,
                           tiny_seg_options)

CWD_FEA = osp.join(
    REPO, 'configs/cwd/'
    'cwd_fea_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py')
STUDENT = 'mmseg::pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
METAFILES = ('configs/cwd/metafile.yml', 'configs/skd/metafile.yml',
             'configs/ka/metafile.yml', 'configs/comparison/metafile.yml',
             'configs/depth/metafile.yml', 'configs/auxiliary/metafile.yml')
CONVERT = 'tools/model_converters/convert_to_student.py'
RESULTS_TABLE = 'tools/analysis_tools/results_table.py'


def output_of(result) -> str:
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def distill_checkpoint(cityscapes_root, tmp_path_factory) -> str:
    """A 2-iteration tiny CWD-feature run (student, teacher, connector)."""
    work_dir = str(tmp_path_factory.mktemp('cwd_fea'))
    options = tiny_seg_options(Config.fromfile(CWD_FEA), cityscapes_root)
    run_command([
        sys.executable, 'tools/train.py', CWD_FEA, '--work-dir', work_dir,
        *cli_options(options)
    ])
    return osp.join(work_dir, 'iter_2.pth')


def test_student_checkpoint_runs_in_mmseg_test_py(distill_checkpoint,
                                                  cityscapes_root, tmp_path):
    student_ckpt = str(tmp_path / 'student.pth')
    result = run_command([
        sys.executable, CONVERT, distill_checkpoint, student_ckpt
    ])
    assert 'dropped distiller (' in result.stdout
    assert 'teacher (' in result.stdout

    # Only tensors and plain values: loads under torch's weights_only
    # default, with no key of the teacher, connector or algorithm.
    converted = torch.load(student_ckpt, weights_only=True)
    keys = list(converted['state_dict'])
    assert keys and not any(
        key.startswith(('architecture.', 'teacher.', 'distiller.'))
        for key in keys)
    assert 'decode_head.conv_seg.weight' in keys
    assert converted['meta']['dataset_meta']['classes'][0] == 'road'
    assert set(converted['meta']['converted_from']['dropped']) >= {
        'teacher', 'distiller'
    }

    # mmseg's own test script with the student's own model-zoo config,
    # shrunk like the distill run; run outside the repo (no mmskd needed).
    student_cfg = resolve_config_path(STUDENT)
    options = tiny_seg_options(Config.fromfile(student_cfg), cityscapes_root)
    script = osp.join(
        get_installed_path('mmsegmentation'), '.mim', 'tools', 'test.py')
    result = run_command([
        sys.executable, script, student_cfg, student_ckpt, '--work-dir',
        str(tmp_path / 'test'), *cli_options(options)
    ],
                         cwd=str(tmp_path))
    log = output_of(result)
    assert re.search(r'Iter\(test\) .*mIoU: \d', log), log[-2000:]
    assert 'Load checkpoint from' in log
    for mismatch in ('do not match exactly', 'missing keys',
                     'unexpected key'):
        assert mismatch not in log, log[-3000:]


def test_convert_refuses_a_plain_checkpoint(tmp_path):
    convert = load_tool('model_converters/convert_to_student.py')
    plain = str(tmp_path / 'plain.pth')
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}),
               plain)
    with pytest.raises(ValueError, match="No tensor starts with"):
        convert.convert(plain, str(tmp_path / 'out.pth'))


def test_convert_reads_an_old_multi_process_checkpoint(tmp_path):
    """Checkpoints of multi-process runs written before the parts kept
    their own names hold the DDP level: the student comes out without it."""
    convert = load_tool('model_converters/convert_to_student.py')
    old = str(tmp_path / 'old.pth')
    weight = torch.arange(3.)
    torch.save(
        dict(
            state_dict={
                'architecture.module.backbone.conv1.weight': weight,
                'discriminator.module.fc.weight': torch.zeros(1),
                'teacher.backbone.conv1.weight': torch.ones(3),
            }), old)
    converted = convert.convert(old, str(tmp_path / 'out.pth'))
    assert list(converted['state_dict']) == ['backbone.conv1.weight']
    assert torch.equal(converted['state_dict']['backbone.conv1.weight'],
                       weight)
    assert converted['meta']['converted_from']['dropped'] == dict(
        discriminator=1, teacher=1)


# Nothing listens on port 9 (discard): a fetch fails at once, as offline.
UNREACHABLE = 'http://127.0.0.1:9/teacher_20200101-abc.pth'
TEST = 'tools/test.py'


def refused_output(args: list) -> str:
    """The output of a command that must fail (run like run_command)."""
    env = dict(os.environ, PYTHONPATH=REPO)
    result = subprocess.run(
        args, cwd=REPO, env=env, capture_output=True, text=True,
        timeout=600)
    assert result.returncode != 0, output_of(result)[-3000:]
    return output_of(result)


def test_test_py_evaluates_a_distillation_checkpoint_offline(
        distill_checkpoint, cityscapes_root, tmp_path):
    """The checkpoint holds the teacher: a model-zoo teacher_ckpt is never
    fetched, and nothing warns that the teacher is untrained."""
    options = tiny_seg_options(Config.fromfile(CWD_FEA), cityscapes_root)
    options['model.teacher_ckpt'] = UNREACHABLE
    log = output_of(run_command([
        sys.executable, TEST, CWD_FEA, distill_checkpoint, '--work-dir',
        str(tmp_path / 'test'), *cli_options(options)
    ]))
    assert re.search(r'Iter\(test\) .*mIoU: \d', log), log[-2000:]
    for unwanted in ('Could not fetch', 'teacher_ckpt is not set',
                     'do not match exactly', 'missing keys'):
        assert unwanted not in log, log[-3000:]


def test_test_py_refuses_a_distillation_checkpoint_for_the_student(
        distill_checkpoint, cityscapes_root, tmp_path):
    """The whole distillation checkpoint with the student's config: refused
    before testing, not scored as a random student (the converted student
    with that config: test_student_checkpoint_runs_in_mmseg_test_py)."""
    student_cfg = resolve_config_path(STUDENT)
    options = tiny_seg_options(Config.fromfile(student_cfg), cityscapes_root)
    log = refused_output([
        sys.executable, TEST, student_cfg, distill_checkpoint, '--work-dir',
        str(tmp_path / 'whole'), *cli_options(options)
    ])
    assert f"ValueError: Checkpoint '{distill_checkpoint}' does not fit " \
        f"the model of '{student_cfg}': " in log
    assert 'It is a distillation checkpoint (student and teacher): use it ' \
        'with its distillation config, or export its student' in log
    assert 'convert_to_student.py' in log
    assert 'Iter(test)' not in log


def write_run(work_dir, config: str, records: list,
              file_name: str = 'scalars.json') -> str:
    """A fake finished run: the dumped config and its logged scalars."""
    vis_dir = work_dir / '20250101_000000' / 'vis_data'
    vis_dir.mkdir(parents=True)
    (work_dir / f'{config}.py').write_text('# dumped config\n')
    with open(vis_dir / file_name, 'w') as file:
        for record in records:
            file.write(json.dumps(record) + '\n')
    return str(work_dir)


def val(step: int, **metrics) -> dict:
    return dict(metrics, data_time=0.01, time=0.1, step=step)


def train(step: int) -> dict:
    return {'lr': 0.01, 'loss': 1.0, 'distill.loss_cwd': 0.1,
            'iter': step, 'step': step}


def test_results_table(tmp_path):
    psp = 'cwd_fea_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024'
    dlv3 = 'skd_pi_pa_deeplabv3_r101-d8_deeplabv3_r18-d8_4xb2-80k_' \
        'cityscapes-512x1024'
    runs = [
        write_run(tmp_path / 'run1', psp, [
            train(8000), val(8000, mIoU=70.0, aAcc=90.0),
            train(80000), val(80000, mIoU=76.5, aAcc=95.0)
        ]),
        # Only the LoggerHook's json log (no scalars.json).
        write_run(tmp_path / 'run2', dlv3, [val(80000, mIoU=77.9)],
                  file_name='20250101_000000.json'),
        # Not in any metafile.
        write_run(tmp_path / 'run3', 'my_experiment', [val(100, mIoU=12.5)]),
    ]
    result = run_command(
        [sys.executable, RESULTS_TABLE, *runs])
    lines = result.stdout.strip().splitlines()
    assert lines[0] == \
        '| config | teacher | student | distilled | Δ | target |'
    assert lines[2] == (
        f'| [{psp}](configs/cwd/{psp}.py) | 79.76 | 74.87 | 76.50 | +1.63 '
        '| 76.30 (min 75.54) ✓ |')
    assert lines[3] == (
        f'| [{dlv3}](configs/skd/{dlv3}.py) | 80.20 | 76.70 | 77.90 | +1.20 '
        '| 78.20 (min 77.70) ≈ |')
    assert lines[4] == '| my_experiment | - | - | 12.50 | - | - |'
    assert 'my_experiment' in result.stderr  # warned: no metafile entry


def test_results_table_reads_detection_box_ap(tmp_path):
    """mmdet logs coco/bbox_mAP as a fraction; metafiles use percent."""
    name = 'cwd_fpn_gfl_r101_gfl_r50_1x_coco'
    metafile = dict(Models=[
        dict(
            Name=name,
            Config=f'configs/cwd/{name}.py',
            Metadata=dict(
                Teacher=dict(Metrics={'box AP': 44.7}),
                Student=dict(Metrics={'box AP': 40.2})),
            Results=[
                dict(
                    Task='Object Detection',
                    Dataset='COCO',
                    Metrics={'Target box AP': 41.9})
            ])
    ])
    (tmp_path / 'metafile.yml').write_text(yaml.safe_dump(metafile))
    index = tmp_path / 'model-index.yml'
    index.write_text(yaml.safe_dump(dict(Import=['metafile.yml'])))
    run = write_run(tmp_path / 'run', name,
                    [val(12, **{'coco/bbox_mAP': 0.415, 'coco/bbox_mAP_50':
                                0.6})])
    result = run_command([
        sys.executable, RESULTS_TABLE, run, '--model-index',
        str(index)
    ])
    assert result.stdout.strip().splitlines()[2] == (
        f'| [{name}](configs/cwd/{name}.py) | 44.70 | 40.20 | 41.50 | +1.30 '
        '| 41.90 ✗ |')


def test_results_table_reads_depth_rel_lower_is_better(tmp_path):
    """Depth runs report mmseg's abs_rel as ``rel``, to 3 decimals; a goal
    is met at or below its line."""
    name = 'skd_depthbin_r101-d8_depthbin_m-v2-d8_4xb3-20k_nyu-480x480'
    runs = [
        write_run(tmp_path / 'met', name,
                  [val(20000, abs_rel=0.1294, rmse=0.5, d1=0.8)]),
        write_run(tmp_path / 'missed', name, [val(20000, abs_rel=0.1312)]),
        write_run(tmp_path / 'no_entry', 'my_depth_run',
                  [val(10, abs_rel=0.2004)]),
    ]
    lines = run_command([sys.executable, RESULTS_TABLE,
                         *runs]).stdout.strip().splitlines()
    link = f'[{name}](configs/depth/{name}.py)'
    assert lines[2] == f'| {link} | 0.108 | 0.135 | 0.129 | -0.006 | ' \
        '0.130 ✓ |'
    assert lines[3] == f'| {link} | 0.108 | 0.135 | 0.131 | -0.004 | ' \
        '0.130 ✗ |'
    assert lines[4] == '| my_depth_run | - | - | 0.200 | - | - |'


def test_model_index_imports_the_metafiles():
    with open(osp.join(REPO, 'model-index.yml')) as file:
        imports = yaml.safe_load(file)['Import']
    for metafile in METAFILES:
        assert metafile in imports


@pytest.mark.parametrize('metafile', METAFILES)
def test_metafile_entries_name_their_collection_and_config(metafile):
    """The file-level facts of each entry; test_seg_configs.py compares
    each segmentation entry with its loaded config."""
    with open(osp.join(REPO, metafile)) as file:
        content = yaml.safe_load(file)
    collections = {collection['Name'] for collection in content['Collections']}
    for entry in content['Models']:
        assert entry['In Collection'] in collections
        config = osp.join(REPO, entry['Config'])
        assert osp.isfile(config), f'{entry["Name"]}: no {entry["Config"]}'
        assert osp.basename(config) == f'{entry["Name"]}.py'
        # A plain model (configs/auxiliary) has no Teacher; a baseline no
        # Student either.
        roles = [r for r in ('Teacher', 'Student') if r in entry['Metadata']]
        for role in roles:
            reference = entry['Metadata'][role]['Config']
            assert reference.startswith('mmseg::') or \
                osp.isfile(osp.join(REPO, reference)), (entry['Name'], role)
        task = 'Depth Estimation' if '/depth/' in metafile else \
            'Semantic Segmentation'
        assert entry['Results'][0]['Task'] == task
        assert entry['Weights'] is None  # nothing trained yet

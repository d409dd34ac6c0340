# Copyright (c) mmskd contributors. All rights reserved.
"""tools/demo.py (``make demo``), its configs and its generated scenes."""
import json
import os.path as osp
import re
import sys

import cv2
import numpy as np
from conftest import REPO, run_command
from mmengine.config import Config

from mmskd.models.utils import load_model_cfg
from mmskd.testing.scenes import CLASSES_USED, render_scene, write_scenes

DEMO = osp.join(REPO, 'configs', 'demo')
TEACHER = osp.join(DEMO, 'pspnet_r101-d8_w16_scenes-128x128.py')
STUDENT = osp.join(DEMO, 'pspnet_r18-d8_w8_scenes-128x128.py')
DISTILL = osp.join(DEMO,
                   'skd_cwd_pspnet_r101-d8_pspnet_r18-d8_scenes-128x128.py')
ROW = re.compile(r'^\| (teacher|student|distilled): .*'
                 r'\| (\d+\.\d\d)M \| (\d+\.\d\d) \|$')


def test_smoke_run_prints_the_table(tmp_path):
    work_dir = tmp_path / 'demo'
    result = run_command([
        sys.executable, 'tools/demo.py', '--smoke', '--seed', '3',
        '--work-dir',
        str(work_dir)
    ],
                         timeout=600)
    rows = [
        ROW.match(line) for line in result.stdout.splitlines()
        if ROW.match(line)
    ]
    assert [row.group(1) for row in rows] == \
        ['teacher', 'student', 'distilled'], result.stdout
    for row in rows:
        assert 0 <= float(row.group(3)) <= 100
    assert float(rows[0].group(2)) > float(rows[1].group(2)) == \
        float(rows[2].group(2))
    assert 'Distillation gain: ' in result.stdout
    assert re.search(r'total \d+\.\d min', result.stdout)

    with open(work_dir / 'results.json') as file:
        results = json.load(file)
    assert [row['key'] for row in results['rows']] == \
        ['teacher', 'student', 'distilled']
    assert [row['config'] for row in results['rows']] == [
        osp.relpath(path, REPO) for path in (TEACHER, STUDENT, DISTILL)
    ]
    for row in results['rows']:
        assert osp.basename(row['checkpoint']) == 'iter_2.pth'
    # The distilled run loaded the teacher the demo trained.
    log = (work_dir / 'train_distilled.log').read_text()
    assert 'distill.loss_cwd' in log and 'distill.loss_ho' in log
    assert 'distill.loss_pa' in log and 'distill.loss_pi' in log

    # The figure: 4 validation scenes (rows) x image, ground truth and the
    # three models (columns), 256-pixel tiles with 4-pixel gaps.
    assert results['predictions'] == str(work_dir / 'predictions.png')
    figure = cv2.imread(results['predictions'])
    assert figure.shape == (4 * 256 + 3 * 4, 5 * 256 + 4 * 4, 3)
    tiles = [figure[:256, x:x + 256] for x in range(0, 5 * 260, 260)]
    assert all(tile.std() > 10 for tile in tiles)
    # Ground truth and predictions are drawn maps, not the image again.
    assert all(np.abs(tile.astype(int) - tiles[0]).mean() > 5
               for tile in tiles[1:])
    # Progress went through mmengine's logger into the demo's log file.
    demo_log = (work_dir / 'demo.log').read_text()
    assert 'mmskd_demo - INFO - teacher   Iter(train) [2/2]' in demo_log


def test_student_and_distilled_share_schedule_data_and_model():
    student = Config.fromfile(STUDENT)
    distill = Config.fromfile(DISTILL)
    assert distill.train_cfg == student.train_cfg
    assert distill.train_dataloader == student.train_dataloader
    assert distill.test_dataloader == student.test_dataloader
    assert distill.randomness == student.randomness
    assert distill.optim_wrapper.architecture.optimizer == \
        student.optim_wrapper.optimizer
    assert distill.param_scheduler.architecture == student.param_scheduler
    assert load_model_cfg(distill.model.architecture) == \
        load_model_cfg(dict(cfg_path=STUDENT))
    assert load_model_cfg(distill.model.teacher) == \
        load_model_cfg(dict(cfg_path=TEACHER))
    # All four terms, the CWD connector at the demo widths.
    losses = distill.model.distiller.distill_losses
    assert set(losses) == {'loss_pi', 'loss_pa', 'loss_cwd'}
    assert distill.model.discriminator.in_channels == 19
    connector = distill.model.distiller.connectors.student_feature
    assert connector.in_channel == student.model.decode_head.channels
    assert connector.out_channel == \
        Config.fromfile(TEACHER).model.decode_head.channels


def test_scenes_are_deterministic_and_cityscapes_readable(tmp_path, capsys):
    from mmseg.datasets import CityscapesDataset

    # The val scenes do not depend on the number of training scenes.
    write_scenes(str(tmp_path / 'a'), seed=7, num_train=3, num_val=2)
    root = write_scenes(str(tmp_path / 'b'), seed=7, num_train=5, num_val=2)
    write_scenes(
        str(tmp_path / 'c'), seed=8, num_train=3, num_val=2, progress=True)
    assert '5/5, ' in capsys.readouterr().out  # mmengine's progress bar
    name = 'leftImg8bit/val/city/city_000001_000019_leftImg8bit.png'
    label = 'gtFine/train/city/city_000002_000019_gtFine_labelTrainIds.png'
    for path in (name, label):
        assert (tmp_path / 'a' / path).read_bytes() == \
            (tmp_path / 'b' / path).read_bytes()
        assert (tmp_path / 'a' / path).read_bytes() != \
            (tmp_path / 'c' / path).read_bytes()
    for split, count in (('train', 5), ('val', 2)):
        dataset = CityscapesDataset(
            data_root=root,
            data_prefix=dict(
                img_path=f'leftImg8bit/{split}',
                seg_map_path=f'gtFine/{split}'),
            pipeline=[],
            lazy_init=False)
        assert len(dataset) == count


def test_scene_labels_need_shape_texture_and_context():
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(40):
        image, labels = render_scene(rng, 128, 128)
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
        assert labels.shape == (128, 128)
        seen.update(np.unique(labels).tolist())
    assert seen <= set(CLASSES_USED)
    assert max(seen) < 19
    # Every class shows up, among them both classes of each ellipse texture
    # (rider/person, motorcycle/bicycle: the same object, another region).
    assert seen == set(CLASSES_USED)


def test_progress_lines_are_shortened():
    sys.path.insert(0, osp.join(REPO, 'tools'))
    try:
        from demo import short_progress
    finally:
        sys.path.pop(0)
    train = ('11/29 10:00:00 - mmengine - INFO - Iter(train) [ 20/400]  '
             'base_lr: 1.0000e-02 lr: 1.0000e-02  eta: 0:05:10  '
             'time: 0.7071  loss: 1.2345  decode.loss_ce: 1.0000')
    val = ('11/29 10:05:00 - mmengine - INFO - Iter(val) [4/4]    '
           'aAcc: 80.0000  mIoU: 30.1000  mAcc: 40.0000')
    assert short_progress(train) == \
        'Iter(train) [ 20/400]  eta 0:05:10  loss 1.2345'
    assert short_progress(val) == 'Iter(val) [4/4]  mIoU 30.1000'
    assert short_progress('11/29 10:00:00 - mmengine - INFO - Checkpoints '
                          'will be saved to /tmp/x.') is None

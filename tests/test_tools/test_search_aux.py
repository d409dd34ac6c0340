# Copyright (c) mmskd contributors. All rights reserved.
"""tools/analysis_tools/search_aux.py --smoke on generated scenes: killed
while its batch trains, the same command continues with the batch it had
sampled and compares the network without a module, with the basic one and
with the searched one (the last: the best structure's config trained with
tools/train.py); once more, it keeps everything and trains nothing."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from mmengine.config import Config

from mmskd.demo import write_scenes
from mmskd.testing import CONFIG_ROOT, REPO, run_tool

SEARCH = osp.join(CONFIG_ROOT, 'auxiliary',
                  'search_pspnet_r18-d8_w8_aux_scenes-128x128.py')


def search_command(work_dir: str, data_root: str) -> list:
    options = [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader')
    ]
    return [
        sys.executable, 'tools/analysis_tools/search_aux.py', SEARCH,
        '--work-dir', work_dir, '--smoke', '--compare-seeds', '0',
        '--cfg-options', *options, 'train_dataloader.dataset.indices=10',
        'train_dataloader.batch_size=2'
    ]


def kill_when(command: list, started: str, log: str) -> None:
    """Run the command, SIGKILL it and its runs once ``started`` exists."""
    with open(log, 'w') as out:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=REPO),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 600
        while process.poll() is None and not osp.exists(started):
            assert time.monotonic() < deadline, 'the search never got there'
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    assert osp.exists(started), open(log).read()[-3000:]


def test_a_killed_search_continues_and_its_best_structure_trains(tmp_path):
    data_root = write_scenes(str(tmp_path / 'scenes'), num_train=10,
                             num_val=2)
    work_dir = str(tmp_path / 'search')
    command = search_command(work_dir, data_root)
    # Killed once its batch (episodes 0 and 1) is training.
    kill_when(command, osp.join(work_dir, 'episode_0001', 'train.log'),
              str(tmp_path / 'killed.log'))
    state = torch.load(
        osp.join(work_dir, 'search_state.pth'), weights_only=False)
    assert state['history'] == []
    assert [entry['episode'] for entry in state['pending']] == [0, 1]
    with open(osp.join(work_dir, 'search.log')) as file:
        before = file.read()

    # Continued, then the comparison at one seed.
    result = run_tool(command, timeout=600)
    with open(osp.join(work_dir, 'search.log')) as file:
        after = file.read()[len(before):]
    assert 'Resumed: 0 structures scored, 2 in the batch in progress' in after
    assert 'shared starting point' not in after
    with open(osp.join(work_dir, 'structures.json')) as file:
        report = json.load(file)
    structures = report['structures']
    # The batch sampled before the kill is the one trained.
    assert [entry['cells'] for entry in structures] == [
        entry['cells'] for entry in state['pending']
    ]
    for entry in structures:
        assert entry['reward'] == pytest.approx(entry['metrics']['mIoU'])
    assert report['best'] == max(structures, key=lambda e: e['reward'])
    assert osp.getsize(osp.join(work_dir, 'rewards.png')) > 0
    best_config = osp.join(work_dir, 'best_structure.py')
    assert best_config in result.stdout
    with open(osp.join(work_dir, 'comparison.md')) as file:
        comparison = file.read()
    assert comparison in result.stdout
    rows = [line.split(' | ')[0][2:] for line in comparison.splitlines()[2:]]
    assert rows == ['no auxiliary module', "the config's module",
                    'searched module']
    for row in ('no_auxiliary_module', 'the_configs_module',
                'searched_module'):
        with open(osp.join(work_dir, 'compare', row, 'seed0',
                           'result.json')) as file:
            assert 0 <= json.load(file)['mIoU'] <= 100

    # The comparison's searched row is the best structure's config, which
    # it trained with tools/train.py.
    searched = Config.fromfile(
        osp.join(work_dir, 'compare', 'searched_module', 'config.py'))
    best = Config.fromfile(best_config)
    assert searched.model == best.model
    assert best.model.auxiliary_head.cells == report['best']['cells']
    assert best.train_dataloader.dataset.indices == 10  # the whole set
    with open(osp.join(work_dir, 'compare', 'searched_module', 'seed0',
                       'last_checkpoint')) as file:
        checkpoint = torch.load(file.read().strip(), weights_only=False)
    keys = [key for key in checkpoint['state_dict'] if 'auxiliary' in key]
    assert any('.cells.' in key for key in keys)

    # Once more: everything scored and compared is kept, nothing trains.
    with open(osp.join(work_dir, 'search.log')) as file:
        before = file.read()
    again = run_tool(command, timeout=600)
    with open(osp.join(work_dir, 'search.log')) as file:
        after = file.read()[len(before):]
    assert 'Resumed: 2 structures scored, 0 in the batch in progress' in after
    assert '0 comparison runs to go' in after
    assert comparison in again.stdout
    with open(osp.join(work_dir, 'structures.json')) as file:
        assert json.load(file)['structures'] == structures

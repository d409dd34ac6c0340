# Copyright (c) mmskd contributors. All rights reserved.
"""tools/analysis_tools/ablation.py --smoke on the table ``ka``: every row
trains through tools/train.py from the table's trained teacher (KA's from
the translator its first phase trained), each distilled row is benchmarked,
the table reports what the runs logged, and a second call redoes only what
is missing, a stopped run resuming exactly. (Each row and teacher of the
other tables trains an iteration in tests/test_ablation/test_tables.py, for
the suite's time; a teacher's two processes, in
tests/test_ablation/test_runner.py; lower-is-better tables, in
tests/test_ablation/test_report.py.)"""
import glob
import json
import os
import os.path as osp
import re
import shutil
import sys

import pytest
from mmengine.config import Config

from mmskd.ablation import TABLES
from mmskd.testing import run_tool

# A table with a teacher, an earlier phase and distilled rows of three kinds.
SMOKED = ('ka', )


def stem(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def logged_metric(train_dir: str, metric: str) -> float:
    """The last value of a metric in a tools/train.py run's scalars.json."""
    values = []
    for path in sorted(glob.glob(f'{train_dir}/*/vis_data/scalars.json')):
        with open(path) as file:
            values += [
                json.loads(line)[metric] for line in file
                if f'"{metric}"' in line
            ]
    return values[-1]


def check_table(work_dir: str, name: str) -> None:
    """The summary of one table against its runs."""
    with open(
            osp.join(work_dir, 'teachers', stem(TABLES[name].teacher),
                     'last_checkpoint')) as file:
        teacher = file.read().strip()
    with open(osp.join(work_dir, f'{name}.json')) as file:
        summary = json.load(file)
    with open(osp.join(work_dir, f'{name}.md')) as file:
        links = re.findall(r'\]\(([^)]+\.py)\)', file.read())
    assert len(links) == len(TABLES[name].rows) and all(
        osp.isfile(osp.join(work_dir, link)) for link in links)
    rows = summary['rows']
    assert [row['name']
            for row in rows] == [row.name for row in TABLES[name].rows]
    for row, table_row in zip(rows, TABLES[name].rows):
        train_dir = osp.join(work_dir, 'runs', stem(row['config']), 'seed0')
        assert row['values'] == {
            '0': logged_metric(train_dir, TABLES[name].metric)
        }
        if row is rows[0]:
            assert row['cost'] is None and row['gain'] is None
            continue
        dumped = Config.fromfile(
            osp.join(train_dir,
                     stem(row['config']) + '.py'))
        assert dumped.model.teacher_ckpt == teacher
        for option, phase in table_row.loads:
            phase_dir = osp.join(work_dir, 'phases', stem(phase))
            assert osp.isfile(osp.join(phase_dir, 'result.json'))
            given = dumped
            for key in option.split('.'):
                given = given[key]
            with open(osp.join(phase_dir, 'last_checkpoint')) as file:
                assert given == file.read().strip()
        with open(osp.join(work_dir, 'cost',
                           stem(row['config']) + '.json')) as file:
            assert row['cost'] == \
                json.load(file)['ratios']['distill_over_floor'] > 0
        # Positive where the row is better (a lower error for depth).
        sign = 1 if TABLES[name].higher_is_better else -1
        assert row['gain'] == pytest.approx(
            sign * (row['values']['0'] - rows[0]['values']['0']))
    assert {step['verdict']
            for step in summary['ordering']} == {'one seed: not judged'}


def test_smoke_runs_the_tables_then_redoes_only_what_is_missing(tmp_path):
    work_dir = str(tmp_path / 'ablation')
    command = [
        sys.executable, 'tools/analysis_tools/ablation.py', *SMOKED, '--smoke',
        '--work-dir', work_dir
    ]
    # Time for a machine that another job keeps busy.
    first = run_tool(command, timeout=1200)
    for name in SMOKED:
        assert f'#### `{name}`' in first.stdout
        check_table(work_dir, name)
    with open(osp.join(work_dir, 'ka.json')) as file:
        ka_rows = json.load(file)['rows']
    # The teacher, trained once.
    assert sorted(os.listdir(osp.join(work_dir, 'teachers'))) == sorted(
        {stem(TABLES[name].teacher)
         for name in SMOKED})

    # KD was stopped after its first iteration (its second checkpoint and
    # its logs gone): it resumes and ends as it did. KA lost its cost: only
    # that is measured again. (A run stopped before its last validation:
    # tests/test_ablation/test_runner.py.)
    kd, ka = (stem(TABLES['ka'].rows[i].config) for i in (1, 3))
    kd_dir = osp.join(work_dir, 'runs', kd, 'seed0')
    os.remove(osp.join(kd_dir, 'result.json'))
    for logs in glob.glob(osp.join(kd_dir, '2*')):
        shutil.rmtree(logs)
    os.remove(osp.join(kd_dir, 'iter_2.pth'))
    with open(osp.join(kd_dir, 'last_checkpoint'), 'w') as file:
        file.write(osp.join(kd_dir, 'iter_1.pth'))
    os.remove(osp.join(work_dir, 'cost', ka + '.json'))
    with open(osp.join(work_dir, 'ablation.log')) as file:
        first_log = file.read()
    run_tool(command, timeout=1200)
    with open(osp.join(work_dir, 'ablation.log')) as file:
        second = file.read()[len(first_log):]  # this call's messages
    assert 'Training the teacher' not in second
    assert 'rows load it' not in second  # KA's translator is kept
    assert '1 runs to go' in second and f'{kd} seed 0 done' in second
    with open(osp.join(kd_dir, 'train.log')) as file:
        assert 'resumed epoch: 0, iter: 1' in file.read()
    assert f'cost of {ka}' in second and second.count('cost of') == 1
    with open(osp.join(work_dir, 'ka.json')) as file:
        again = json.load(file)
    for row, before in zip(again['rows'], ka_rows):
        assert row['values'] == before['values']  # exactly
        if row['name'] != TABLES['ka'].rows[3].name:
            assert row['cost'] == before['cost']

# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd.ablation.report against numbers worked out by hand."""
import math

import pytest

from mmskd.ablation import Row, Table, format_table, summarize, verdict

TABLE = Table(
    name='toy',
    title='a toy table',
    source='no paper',
    rows=(Row('student', 'demo/a.py', 60.0), Row('A', 'ablation/a.py', 62.0),
          Row('B', 'ablation/b.py', 61.0), Row('C', 'ablation/c.py')))
# Row -> seed -> mIoU, for seeds 0, 1 and 2.
RESULTS = {
    'student': dict(enumerate((10.0, 12.0, 14.0))),
    'A': dict(enumerate((11.0, 14.0, 15.0))),
    'B': dict(enumerate((13.0, 13.0, 17.0))),
    'C': dict(enumerate((1.0, 2.0, 3.0))),
}


def test_rows_mean_std_and_gain_seed_by_seed():
    summary = summarize(TABLE, RESULTS, {'A': 1.5, 'B': 2.25})
    rows = {row['name']: row for row in summary['rows']}
    assert summary['seeds'] == [0, 1, 2]
    assert rows['student']['mean'] == pytest.approx(12.0)
    assert rows['student']['std'] == pytest.approx(2.0)
    assert rows['student']['gain'] is None
    assert rows['student']['cost'] is None
    # A - student = 1, 2, 1: mean 4/3, std sqrt(((1/3)^2 * 2 + (2/3)^2) / 2)
    assert rows['A']['gain'] == pytest.approx(4 / 3)
    assert rows['A']['gain_std'] == pytest.approx(math.sqrt(1 / 3))
    assert rows['A']['cost'] == 1.5
    assert rows['A']['values'] == {'0': 11.0, '1': 14.0, '2': 15.0}
    # B - student = 3, 1, 3
    assert rows['B']['gain'] == pytest.approx(7 / 3)
    assert rows['B']['gain_std'] == pytest.approx(math.sqrt(4 / 3))


def test_the_papers_ordering_step_by_step():
    # Paper: student 60 < B 61 < A 62; C has no paper number.
    steps = summarize(TABLE, RESULTS, {})['ordering']
    assert [(s['worse'], s['better']) for s in steps] == [('student', 'B'),
                                                          ('B', 'A')]
    # B - student = 3, 1, 3: mean 7/3 over 2 SE = 2 sqrt(4/3) / sqrt(3)
    assert steps[0]['mean'] == pytest.approx(7 / 3)
    assert steps[0]['verdict'] == 'holds'
    # A - B = -2, 1, -2: mean -1 within 2 SE = 2 sqrt(3) / sqrt(3)
    assert steps[1]['mean'] == pytest.approx(-1.0)
    assert steps[1]['std'] == pytest.approx(math.sqrt(3.0))
    assert steps[1]['verdict'] == 'within noise'


def test_lower_is_better_orders_and_signs_the_other_way():
    table = Table(
        name='depth',
        title='',
        source='',
        rows=(Row('student', 'a.py', 0.18), Row('X', 'b.py', 0.17)),
        metric='abs_rel',
        higher_is_better=False)
    results = {'student': {0: 0.30, 1: 0.32}, 'X': {0: 0.25, 1: 0.26}}
    summary = summarize(table, results, {})
    step, = summary['ordering']
    assert (step['worse'], step['better']) == ('student', 'X')
    assert step['mean'] == pytest.approx(0.055)
    assert step['verdict'] == 'holds'
    # Three decimals where the numbers are below 1.
    text = format_table(dict(summary, decimals=3))
    assert 'abs_rel (lower is better)' in text
    assert '| X | [b](../../../configs/b.py) | 0.170 | 0.255 ± 0.007 | ' \
        '+0.055 ± 0.007 |  |' in text  # a lower error is a gain
    assert '- student → X: +0.055 ± 0.007, holds' in text


@pytest.mark.parametrize(
    'mean, std, count, expected',
    [
        (1.0, 1.0, 4, 'holds'),  # margin 2 * 1 / 2 = 1
        (0.99, 1.0, 4, 'within noise'),
        (-1.0, 1.0, 4, 'reversed'),
        (-0.5, 1.0, 4, 'within noise'),
        (0.0, 0.0, 5, 'within noise'),
        (3.0, 0.0, 1, 'one seed: not judged'),
    ])
def test_verdict(mean, std, count, expected):
    assert verdict(mean, std, count) == expected


def test_markdown_has_a_line_per_row_and_per_step():
    text = format_table(summarize(TABLE, RESULTS, {'A': 1.5}))
    assert '| A | [a](../../../configs/ablation/a.py) | 62.00 | 13.33 ± 2.08 '\
        '| +1.33 ± 0.58 | 1.50 |' in text
    assert '| student | [a](../../../configs/demo/a.py) | 60.00 | 12.00 ± '\
        '2.00 |  |  |' in text
    assert '- student → B: +2.33 ± 1.15, holds' in text
    assert '- B → A: -1.00 ± 1.73, within noise' in text
    linked = format_table(summarize(TABLE, RESULTS, {}), configs='cfgs')
    assert '| C | [c](cfgs/ablation/c.py) |  | 2.00 ± 1.00 | -10.00 ± 1.00 |' \
        '  |' in linked


def test_a_further_metric_has_its_columns_and_its_ordering():
    """The video table's TC: a value and a gain column beside mIoU, the
    paper's two numbers in one cell, and its own ordering."""
    table = Table(
        name='video',
        title='',
        source='',
        rows=(Row('student', 'a.py', 69.79, paper_also=(68.50, )),
              Row('TL', 'b.py', 70.67,
                  paper_also=(70.46, )), Row('all', 'c.py', 73.06)),
        also=('TC', ))
    miou = {
        'student': {
            0: 20.0,
            1: 22.0
        },
        'TL': {
            0: 21.0,
            1: 22.0
        },
        'all': {
            0: 24.0,
            1: 25.0
        }
    }
    tc = {
        'student': {
            0: 80.0,
            1: 82.0
        },
        'TL': {
            0: 86.0,
            1: 87.0
        },
        'all': {
            0: 83.0,
            1: 84.0
        }
    }
    summary = summarize(table, miou, {'all': 1.75}, {'TC': tc})
    further, = summary['also']
    assert further['metric'] == 'TC'
    rows = {row['name']: row for row in further['rows']}
    assert rows['TL']['paper'] == 70.46 and rows['all']['paper'] is None
    # TL - student in TC: 6, 5
    assert rows['TL']['gain'] == pytest.approx(5.5)
    assert rows['TL']['gain_std'] == pytest.approx(math.sqrt(0.5))
    # Only the rows the paper numbers in TC are ordered in TC.
    step, = further['ordering']
    assert (step['worse'], step['better']) == ('student', 'TL')
    assert [(s['worse'], s['better'])
            for s in summary['ordering']] == [('student', 'TL'), ('TL', 'all')]
    text = format_table(summary)
    assert 'mIoU / TC (higher is better)' in text
    assert '| row | config | paper | mIoU | gain | TC | gain | cost |' in text
    assert '| TL | [b](../../../configs/b.py) | 70.67 / 70.46 | 21.50 ± 0.71 '\
        '| +0.50 ± 0.71 | 86.50 ± 0.71 | +5.50 ± 0.71 |  |' in text
    assert '| all | [c](../../../configs/c.py) | 73.06 / – | 24.50 ± 0.71 | '\
        '+3.50 ± 0.71 | 83.50 ± 0.71 | +2.50 ± 0.71 | 1.75 |' in text
    assert "The paper's ordering in TC, step by step" in text
    assert '- student → TL: +5.50 ± 0.71, holds' in text

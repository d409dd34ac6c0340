# Copyright (c) mmskd contributors. All rights reserved.
"""An ablation table's numbers: each row's mean ± std over the seeds, its
gain over the first row (the student alone), its cost, and whether the
paper's ordering holds.

Gains and the steps of the ordering are differences taken seed by seed (a
row at seed s minus the student at seed s), so that what every run of a
seed shares, e.g. the order of the batches, cancels. A step of the paper's
ordering *holds* when its mean is positive and at least
:data:`STANDARD_ERRORS` standard errors (std / sqrt(seeds)) of the
differences; it is *reversed* when it is as far below zero, and *within
noise* otherwise; one seed is not judged. Two standard errors is about a
t-test at 88% (two-sided) for five seeds, 82% for three: a step that holds
is likely, not certain.
"""
import math
from typing import Dict, List, Optional, Tuple

from mmskd.demo import mean_std
from .tables import Table

STANDARD_ERRORS = 2
# Row name -> seed -> a metric's value.
Results = Dict[str, Dict[int, float]]


def summarize(table: Table,
              results: Results,
              costs: Dict[str, float],
              also: Optional[Dict[str, Results]] = None) -> dict:
    """The numbers of a table.

    Args:
        table (Table): The table.
        results (dict): Row name -> seed -> the row's metric.
        costs (dict): Row name -> c / (a + b) of the row's config (rows
            without a teacher have none).
        also (dict, optional): Each of the table's further metrics
            (``table.also``) -> its results, as ``results``.

    Returns:
        dict: ``table``, ``title``, ``source``, ``metric``,
        ``higher_is_better``, ``decimals``, ``data``, ``seeds``, ``rows``
        (per row: ``name``, ``config``, ``paper``, ``values`` by seed,
        ``mean``, ``std``, ``gain`` and ``gain_std`` (positive where the
        row is better; None for the student) and ``cost``), ``ordering``
        (per step of the paper's ordering: ``worse``, ``better``, ``mean``,
        ``std``, ``verdict``) and ``also`` (per further metric: ``metric``
        and its ``rows`` and ``ordering`` as above, without configs and
        costs).
    """
    seeds = sorted(next(iter(results.values())))
    rows, ordering = _metric_summary(table, table.metric, results, seeds)
    for row, stats in zip(table.rows, rows):
        stats.update(config=row.config, cost=costs.get(row.name))
    further = []
    for metric in table.also:
        also_rows, also_ordering = _metric_summary(table, metric,
                                                   (also or {})[metric], seeds)
        further.append(
            dict(metric=metric, rows=also_rows, ordering=also_ordering))
    return dict(
        table=table.name,
        title=table.title,
        source=table.source,
        metric=table.metric,
        higher_is_better=table.higher_is_better,
        decimals=table.decimals,
        data=table.data,
        seeds=seeds,
        rows=rows,
        ordering=ordering,
        also=further)


def _metric_summary(table: Table, metric: str, results: Results,
                    seeds: List[int]) -> Tuple[List[dict], List[dict]]:
    """Each row's numbers and the paper's ordering in one metric."""
    student = results[table.student.name]
    # Gains and steps are positive where the metric is better.
    sign = 1 if table.higher_is_better else -1
    rows = []
    for row in table.rows:
        values = results[row.name]
        mean, std = mean_std([values[seed] for seed in seeds])
        gain: List[Optional[float]] = [None, None]
        if row is not table.student:
            gain = list(
                mean_std(
                    [sign * (values[seed] - student[seed]) for seed in seeds]))
        rows.append(
            dict(
                name=row.name,
                paper=table.paper_number(row, metric),
                values={str(seed): values[seed]
                        for seed in seeds},
                mean=mean,
                std=std,
                gain=gain[0],
                gain_std=gain[1]))
    ordering = []
    order = table.paper_order(metric)
    for worse, better in zip(order, order[1:]):
        steps = [
            sign * (results[better.name][seed] - results[worse.name][seed])
            for seed in seeds
        ]
        mean, std = mean_std(steps)
        ordering.append(
            dict(
                worse=worse.name,
                better=better.name,
                mean=mean,
                std=std,
                verdict=verdict(mean, std, len(seeds))))
    return rows, ordering


def verdict(mean: float, std: float, count: int) -> str:
    """Whether a step the paper orders holds.

    Args:
        mean (float): Mean of the seed-by-seed differences, positive where
            the paper's better row is better.
        std (float): Their standard deviation (n - 1).
        count (int): The number of seeds.

    Returns:
        str: ``'holds'``, ``'reversed'``, ``'within noise'``, or ``'one
        seed: not judged'``.
    """
    if count < 2:
        return 'one seed: not judged'
    margin = STANDARD_ERRORS * std / math.sqrt(count)
    if mean > 0 and mean >= margin:
        return 'holds'
    if mean < 0 and -mean >= margin:
        return 'reversed'
    return 'within noise'


def format_table(summary: dict, configs: str = '../../../configs') -> str:
    """The Markdown of a table's numbers (what ``TABLE.md`` holds).

    Args:
        summary (dict): What :func:`summarize` returns.
        configs (str): The link to ``configs/`` from where the table goes.
            Defaults to that of a page in ``docs/en/advanced_guides``.

    Returns:
        str: A heading, the table (a value and a gain column per metric)
        and the ordering's steps per metric.
    """
    seeds = summary['seeds']
    places = summary.get('decimals', 2)
    better = 'higher' if summary.get('higher_is_better', True) else 'lower'
    further = summary.get('also', [])
    metrics = [summary['metric']] + [entry['metric'] for entry in further]
    # Per metric, its rows' numbers (the main metric's carry the rest).
    columns = [summary['rows']] + [entry['rows'] for entry in further]

    def number(value: Optional[float], signed: bool = False) -> str:
        if value is None:
            return ''
        return f'{value:+.{places}f}' if signed else f'{value:.{places}f}'

    def value_and_gain(stats: dict) -> str:
        gain = '' if stats['gain'] is None else (
            f'{number(stats["gain"], True)} ± {number(stats["gain_std"])}')
        return f'{number(stats["mean"])} ± {number(stats["std"])} | {gain}'

    named = ' / '.join(metrics)
    baseline = summary['rows'][0]['name']
    costed = any(row['cost'] is not None for row in summary['rows'])
    cost_note = ('; cost = c / (a + b) of `tools/analysis_tools/benchmark.py`'
                 ' (1 is the floor: a student step plus a teacher forward)'
                 if costed else '')
    lines = [
        f'#### `{summary["table"]}`: {summary["title"]}', '',
        f'Mirrors {summary["source"]}. {named} ({better} is better) on the '
        f'generated validation {summary.get("data", "scenes")}, mean ± std '
        f'over seeds {", ".join(map(str, seeds))}; gain over the first row '
        f'({baseline}) seed by seed (positive is better){cost_note}.', '',
        '| row | config | paper | ' +
        ' | '.join(f'{metric} | gain' for metric in metrics) + ' | cost |',
        '| --- | --- | ---: | ' + '---: | ' * (2 * len(metrics)) + '---: |'
    ]
    for index, row in enumerate(summary['rows']):
        name = row['config'].split('/')[-1][:-len('.py')]
        papers = [column[index]['paper'] for column in columns]
        paper = '' if all(value is None for value in papers) else \
            ' / '.join(number(value) or '–' for value in papers)
        cost = '' if row['cost'] is None else f'{row["cost"]:.2f}'
        values = ' | '.join(
            value_and_gain(column[index]) for column in columns)
        lines.append(f'| {row["name"]} | [{name}]({configs}/'
                     f'{row["config"]}) | {paper} | {values} | {cost} |')
    orderings = [(summary['metric'], summary['ordering'])] + [
        (entry['metric'], entry['ordering']) for entry in further
    ]
    for metric, ordering in orderings:
        where = f' in {metric}' if further else ''
        lines += [
            '', f'The paper\'s ordering{where}, step by step (worse → '
            'better; positive is better):'
        ]
        for step in ordering:
            lines.append(f'- {step["worse"]} → {step["better"]}: '
                         f'{number(step["mean"], True)} ± '
                         f'{number(step["std"])}, {step["verdict"]}')
    return '\n'.join(lines)

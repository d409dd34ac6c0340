# Copyright (c) mmskd contributors. All rights reserved.
"""mmengine's iteration lines, shortened to what a progress report shows
(the demo and the ablation tables log their background runs' progress this
way)."""
import re
from typing import Callable, Optional, Sequence

from mmengine.logging import MMLogger

PROGRESS = re.compile(r'Iter\((train|val|test)\) \[\s*\d+/\d+\]')
FIELD = re.compile(r'([\w.]+): (\S+)')


def short_progress(
    line: str,
    fields: Sequence[str] = ('eta', 'loss', 'mIoU', 'abs_rel', 'normal_mean')
) -> Optional[str]:
    """``'Iter(train) [ 20/400]  eta 0:05:10  loss 1.23'`` from one of
    mmengine's ``Iter(...)`` log lines.

    Args:
        line (str): A line of a run's output.
        fields (Sequence[str]): The logged values to keep, in this order.

    Returns:
        str, optional: The shortened line, or None for any other line.
    """
    match = PROGRESS.search(line)
    if match is None:
        return None
    logged = dict(FIELD.findall(line[match.end():]))
    shown = [f'{key} {logged[key]}' for key in fields if key in logged]
    return '  '.join([match.group(0)] + shown)


def progress_reporter(
        logger: str,
        template: str = '{tag}: {progress}') -> Callable[[str, str], None]:
    """A :class:`~mmskd.demo.Job`'s ``report``: each iteration line of the
    run, shortened, through an mmengine logger (other lines are skipped).

    Args:
        logger (str): The logger's instance name.
        template (str): The message, from the run's ``tag`` and the
            shortened line (``progress``).

    Returns:
        Callable: ``(tag, line) -> None``.
    """

    def report(tag: str, line: str) -> None:
        progress = short_progress(line)
        if progress:
            MMLogger.get_instance(logger).info(
                template.format(tag=tag, progress=progress))

    return report

# Copyright (c) mmskd contributors. All rights reserved.
"""mmengine's iteration lines, shortened to what a progress report shows
(the demo logs its background runs' progress this way)."""
import re
from typing import Optional, Sequence

PROGRESS = re.compile(r'Iter\((train|val|test)\) \[\s*\d+/\d+\]')
FIELD = re.compile(r'([\w.]+): (\S+)')


def short_progress(line: str,
                   fields: Sequence[str] = ('eta', 'loss', 'mIoU')
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

# Copyright (c) mmskd contributors. All rights reserved.
"""The ablation tables (``tools/analysis_tools/ablation.py``): the papers'
ablations at the demo's scale, on generated data, several seeds each.

- :mod:`.tables`: the named tables, their rows (configs) and the papers'
  numbers (:data:`TABLES`);
- :mod:`.runner`: the data, the teacher, the rows' runs and costs, in
  lanes and resumable (:class:`AblationRunner`);
- :mod:`.storage`: what a work dir keeps, so that a stopped table
  continues;
- :mod:`.rooms`: the generated rooms of the table ``depth``
  (:func:`write_rooms`), :mod:`.clips` the generated clips of the table
  ``video`` (:func:`write_clips`; the other tables train on the demo's
  scenes);
- :mod:`.cost`: each distilled row's c / (a + b) from the benchmark;
- :mod:`.report`: each row's mean ± std, gain and cost, and whether the
  paper's ordering holds (:func:`summarize`, :func:`format_table`).

Like :mod:`mmskd.demo`, nothing here is registered, so ``import mmskd``
need not import it.
"""
from .clips import render_clip, write_clips
from .report import STANDARD_ERRORS, format_table, summarize, verdict
from .rooms import render_room, write_rooms
from .runner import AblationRunner, AblationSettings
from .tables import SCENES_STUDENT, SCENES_TEACHER, TABLES, Row, Table

__all__ = [
    'render_clip', 'write_clips', 'STANDARD_ERRORS', 'format_table',
    'summarize', 'verdict', 'render_room', 'write_rooms', 'AblationRunner',
    'AblationSettings', 'SCENES_STUDENT', 'SCENES_TEACHER', 'TABLES', 'Row',
    'Table'
]

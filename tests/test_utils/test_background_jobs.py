# Copyright (c) mmskd contributors. All rights reserved.
"""Commands side by side: lines reported, run time kept, one failure stops
the others and raises with the end of its log."""
import sys
import time

import pytest

from mmskd.utils import Job, run_jobs


def python(code: str) -> list:
    return [sys.executable, '-c', code]


def test_jobs_report_their_lines_and_threads(tmp_path, monkeypatch):
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    lines = []
    jobs = [
        Job(tag, python('import os; print("threads", '
                        'os.environ["OMP_NUM_THREADS"]); print("done")'),
            str(tmp_path / f'{tag}.log'), threads=1,
            report=lambda tag, line: lines.append((tag, line)))
        for tag in ('a', 'b')
    ]
    run_jobs(jobs)
    assert sorted(lines) == [('a', 'done'), ('a', 'threads 1'),
                             ('b', 'done'), ('b', 'threads 1')]
    assert all(job.seconds > 0 for job in jobs)


def test_a_failing_job_stops_the_others(tmp_path):
    slow = Job('slow', python('import time; time.sleep(60)'),
               str(tmp_path / 'slow.log'), threads=None)
    failing = Job('failing', python('print("bad input"); raise SystemExit(3)'),
                  str(tmp_path / 'failing.log'), threads=None)
    start = time.time()
    with pytest.raises(RuntimeError, match=r'(?s)exit code 3.*bad input'):
        run_jobs([slow, failing])
    assert time.time() - start < 30
    assert slow.process.poll() is not None  # terminated

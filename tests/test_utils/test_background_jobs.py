# Copyright (c) mmskd contributors. All rights reserved.
"""Commands side by side (lanes of jobs, or one queue served by several
lanes): lines reported, run time kept, one failure stops the others and
raises with the end of its log."""
import sys
import time
from pathlib import Path

import pytest

from mmskd.demo import Job, run_jobs, run_queue


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


def test_a_lane_runs_its_jobs_one_after_another(tmp_path):
    """The second job of a lane starts when the first has succeeded; the
    other lane runs meanwhile."""
    stamp = 'import time; print(time.time())'
    first, second, beside = (
        Job(tag, python(f'import time; time.sleep(1); {stamp}'),
            str(tmp_path / f'{tag}.log'), threads=None)
        for tag in ('first', 'second', 'beside'))
    run_jobs([[first, second], beside])
    assert second.started >= first.started + first.seconds - 0.01
    assert beside.started < first.started + first.seconds
    ends = {job.tag: float(Path(job.log_file).read_text())
            for job in (first, second, beside)}
    assert ends['first'] < ends['second']
    assert ends['beside'] < ends['second']


def test_a_failure_in_a_lane_does_not_start_its_next_job(tmp_path):
    failing = Job('failing', python('raise SystemExit(2)'),
                  str(tmp_path / 'failing.log'), threads=None)
    after = Job('after', python('print("ran")'), str(tmp_path / 'after.log'),
                threads=None)
    with pytest.raises(RuntimeError, match='exit code 2'):
        run_jobs([[failing, after]])
    assert after.process is None


def test_a_queue_keeps_its_lanes_busy(tmp_path):
    """Two lanes, three jobs: the third starts once the short one has
    succeeded, while the long one still runs (it waits for the file that
    the third's success writes); each success is reported once, in order."""
    signal = tmp_path / 'third_done'
    long = Job(
        'long',
        python('import os, time\n'
               f'while not os.path.exists({str(signal)!r}): time.sleep(0.1)'),
        str(tmp_path / 'long.log'), threads=None)
    short, third = (Job(tag, python('pass'), str(tmp_path / f'{tag}.log'),
                        threads=None) for tag in ('short', 'third'))
    succeeded = []

    def on_success(job):
        succeeded.append(job.tag)
        if job.tag == 'third':
            signal.touch()

    run_queue([long, short, third], 2, on_success)
    assert succeeded == ['short', 'third', 'long']
    assert third.started >= short.started + short.seconds - 0.01


def test_a_failure_in_a_queue_stops_it(tmp_path):
    failing = Job('failing', python('raise SystemExit(4)'),
                  str(tmp_path / 'failing.log'), threads=None)
    slow = Job('slow', python('import time; time.sleep(60)'),
               str(tmp_path / 'slow.log'), threads=None)
    after = Job('after', python('print("ran")'), str(tmp_path / 'after.log'),
                threads=None)
    succeeded = []
    start = time.time()
    with pytest.raises(RuntimeError, match='exit code 4'):
        run_queue([failing, slow, after], 2, succeeded.append)
    assert time.time() - start < 30
    assert slow.process.poll() is not None  # terminated
    assert after.process is None and succeeded == []

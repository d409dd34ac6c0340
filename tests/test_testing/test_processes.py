# Copyright (c) mmskd contributors. All rights reserved.
"""mmskd.testing.run_bounded leaves no process behind, as torchrun's
workers (each in a session of its own) would be left."""
import os
import signal
import subprocess
import sys
import time

import pytest

from mmskd.testing import HungCommandError
from mmskd.testing import _processes as processes
from mmskd.testing import run_bounded

# A launcher like torchrun: starts a worker in a new session, which prints
# its pid and sleeps; the launcher then exits, or sleeps too.
LAUNCHER = '''
import subprocess, sys, time
worker = subprocess.Popen(
    [sys.executable, '-c', 'import os, time; print(os.getpid(), flush=True);'
     ' time.sleep(600)'], start_new_session=True)
time.sleep({launcher_sleep})
'''


def launcher(launcher_sleep: float) -> list:
    return [
        sys.executable, '-c',
        LAUNCHER.format(launcher_sleep=launcher_sleep)
    ]


def is_gone(pid: int, within: float = 10) -> bool:
    """Whether ``pid`` exits (or is a zombie) within ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f'/proc/{pid}/stat') as file:
                if file.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.1)
    return False


def test_returns_the_exit_code_and_output():
    result = run_bounded([
        sys.executable, '-c', 'import sys; print("out");'
        ' print("err", file=sys.stderr); sys.exit(3)'
    ],
                         timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == \
        (3, 'out\n', 'err\n')


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='finds by /proc')
def test_kills_a_worker_its_launcher_left_behind():
    # The worker holds the output pipe, so it is killed on the timeout.
    with pytest.raises(HungCommandError) as error:
        run_bounded(launcher(launcher_sleep=0), timeout=4)
    pid = int(error.value.stdout.split()[0])
    assert is_gone(pid)
    assert 'did not finish within 4 s' in str(error.value)
    assert error.value.stdout.strip() == str(pid)


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='finds by /proc')
def test_kills_launcher_and_worker_on_timeout():
    started = time.monotonic()
    with pytest.raises(HungCommandError) as error:
        run_bounded(launcher(launcher_sleep=600), timeout=4)
    assert time.monotonic() - started < 60
    worker = int(error.value.stdout.split()[0])
    assert is_gone(worker)
    # The report names the processes that were still running.
    alive = str(error.value).split('--- processes still running ---')[1]
    assert f'pid {worker} ' in alive and 'time.sleep(600)' in alive


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='finds by /proc')
def test_kills_a_worker_that_closed_its_output():
    # A worker detached from the pipes does not hold the command up; it is
    # killed with a warning when the launcher exits.
    command = [
        sys.executable, '-c', 'import subprocess, sys; p = subprocess.Popen('
        '[sys.executable, "-c", "import time; time.sleep(600)"], '
        'start_new_session=True, stdout=subprocess.DEVNULL, '
        'stderr=subprocess.DEVNULL); print(p.pid)'
    ]
    with pytest.warns(UserWarning, match='leaving processes') as warned:
        result = run_bounded(command, timeout=60)
    pid = int(result.stdout)
    assert str([pid]) in str(warned[0].message)
    assert is_gone(pid)


# A pytest file of two tests: the first runs a launcher whose worker
# writes its pid to a file, with run_bounded (its module loaded by path,
# without importing all of mmskd); the second only leaves a mark.
STOPPED_RUN = '''
import importlib.util, pathlib, sys
spec = importlib.util.spec_from_file_location('processes', {module!r})
processes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(processes)


def test_runs_the_launcher():
    processes.run_bounded([sys.executable, '-c', {launcher!r}], timeout=600)


def test_after():
    pathlib.Path({mark!r}).touch()
'''
PID_FILE_LAUNCHER = '''
import os, subprocess, sys, time
with open({pid_file!r}, 'w') as file:
    file.write(str(os.getpid()))
subprocess.Popen([sys.executable, '-c', {worker!r}], start_new_session=True)
time.sleep(600)
'''
PID_FILE_WORKER = '''
import os, time
with open({pid_file!r}, 'w') as file:
    file.write(str(os.getpid()))
time.sleep(600)
'''


def read_pid(path: str, test_run: subprocess.Popen) -> int:
    """The pid the worker writes, once it has (within 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        assert time.monotonic() < deadline and test_run.poll() is None
        if os.path.exists(path):
            with open(path) as file:
                text = file.read()
            if text:
                return int(text)
        time.sleep(0.1)


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='finds by /proc')
def test_a_terminated_test_run_kills_the_worker_and_stops(tmp_path):
    # SIGTERM to pytest (a CI timeout, `kill`) must not leave the worker
    # running, as Python's default SIGTERM would, and must still end the
    # run: no later test runs.
    test_file = tmp_path / 'test_stopped.py'
    mark = tmp_path / 'after'
    test_file.write_text(
        STOPPED_RUN.format(
            module=processes.__file__,
            mark=str(mark),
            launcher=PID_FILE_LAUNCHER.format(
                pid_file=str(tmp_path / 'launcher.pid'),
                worker=PID_FILE_WORKER.format(
                    pid_file=str(tmp_path / 'worker.pid')))))
    test_run = subprocess.Popen(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         str(test_file)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        start_new_session=True)
    pids = {}
    try:
        for name in ('launcher', 'worker'):
            pids[name] = read_pid(str(tmp_path / f'{name}.pid'), test_run)
        test_run.terminate()
        assert test_run.wait(timeout=60) == -signal.SIGTERM
        assert is_gone(pids['launcher']) and is_gone(pids['worker'])
        assert not mark.exists()
    finally:  # the launcher and the worker have sessions of their own
        for kill, pid in ((os.killpg, test_run.pid), *(
                (os.kill, pid) for pid in pids.values())):
            try:
                kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_the_sigterm_handler_is_restored():
    before = signal.getsignal(signal.SIGTERM)
    run_bounded([sys.executable, '-c', 'pass'], timeout=60)
    assert signal.getsignal(signal.SIGTERM) is before

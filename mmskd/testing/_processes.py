# Copyright (c) mmskd contributors. All rights reserved.
"""Subprocesses that cannot outlive their test.

``torchrun`` starts each worker in a session of its own, so neither a
timeout that kills the launcher nor a kill of the launcher's process group
reaches the workers: a rank hung in its teardown kept running after the
suite ended. Every command started here therefore carries a token in its
environment, which all its descendants inherit whatever session they move
to, and when the command ends (done, timed out or interrupted) every process
still carrying the token is killed, together with the command's process
group. Finding processes by their environment needs Linux's ``/proc``;
elsewhere only the process group is killed.
"""
import contextlib
import os
import os.path as osp
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import warnings
from typing import Dict, Iterator, List, Optional, Sequence, Set, Tuple

#: The environment variable that marks a command's processes.
TOKEN_VARIABLE = 'MMSKD_BOUNDED_RUN'
#: Characters of each output stream that a failure message shows.
TAIL_CHARS = 6000
#: Seconds to wait for the output pipes once every process is killed.
DRAIN_SECONDS = 10
#: The checkout whose ``mmskd`` this is (its tools are the ones tested).
CHECKOUT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class HungCommandError(subprocess.TimeoutExpired):
    """A command ran past its timeout; it was killed with its processes."""

    def __str__(self) -> str:
        return (f'{" ".join(map(str, self.cmd))} did not finish within '
                f'{self.timeout} s and was killed with all its processes. '
                'A distributed run that hangs has a rank waiting for one '
                'that left or died: the end of the output names it.\n'
                f'--- stdout ---\n{_tail(self.stdout)}\n'
                f'--- stderr ---\n{_tail(self.stderr)}')


def run_bounded(
        command: Sequence[str],
        timeout: float,
        *,
        cwd: Optional[str] = None,
        env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run a command and make sure none of its processes outlive it.

    Processes still running when the command has exited (e.g. a torchrun
    worker that its launcher left behind) are killed with a warning; a
    command running past ``timeout`` is killed with all its processes and
    raises. A SIGTERM to this process meanwhile kills them too before it
    takes its usual effect (ending a test run). Either way no process of
    the command is left.

    Args:
        command (Sequence[str]): The command.
        timeout (float): Seconds before the command counts as hung.
        cwd (str, optional): Where to run it.
        env (dict, optional): Its whole environment; ``os.environ`` if
            not given.

    Returns:
        subprocess.CompletedProcess: The finished command, with its exit
        code and text output (not checked here).

    Raises:
        HungCommandError: If the command ran past ``timeout``; it carries
            the output produced until then.
    """
    token = uuid.uuid4().hex
    with _terminate_kills():
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env={
                **(os.environ if env is None else env), TOKEN_VARIABLE: token
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            alive = describe_processes(processes_with_token(token))
            kill_processes(process.pid, token)
            stdout, stderr = _drain(process)
            raise HungCommandError(
                command, timeout, stdout,
                f'{stderr}\n--- processes still running ---\n{alive}'
            ) from None
        finally:
            left = kill_processes(process.pid, token)
            process.poll()
    if left:
        warnings.warn(f'{command[0]} exited leaving processes {sorted(left)} '
                      'running; they were killed.')
    return subprocess.CompletedProcess(command, process.returncode, stdout,
                                       stderr)


def run_tool(command: Sequence[str],
             cwd: str = CHECKOUT,
             env: Optional[Dict[str, str]] = None,
             timeout: float = 600,
             check: bool = True) -> subprocess.CompletedProcess:
    """Run a command of this checkout (a tool, a launch script) with
    :func:`run_bounded`; fail with its output unless it succeeds (or
    ``check`` is False).

    The launch scripts get a free ``PORT`` (unless ``env`` sets one), so
    that tests running side by side (``pytest -n``) never share torchrun's
    rendezvous. The checkout goes first on ``PYTHONPATH`` so that the tools
    import the code under test even where another checkout is the installed
    one, and this interpreter's directory first on ``PATH`` so that
    ``python`` in the launch scripts is this interpreter.

    Args:
        command (Sequence[str]): The command.
        cwd (str): Where to run it. Defaults to the checkout.
        env (dict, optional): Extra environment variables.
        timeout (float): Seconds before the run counts as hung.
        check (bool): Whether to fail unless the exit code is 0.
            Defaults to True.

    Returns:
        subprocess.CompletedProcess: The finished run.
    """
    full_env = dict(os.environ, PYTHONPATH=CHECKOUT, PORT=str(free_port()))
    full_env.update(env or {})
    full_env['PATH'] = osp.dirname(sys.executable) + os.pathsep + \
        full_env.get('PATH', '')
    result = run_bounded(command, timeout, cwd=cwd, env=full_env)
    assert not check or result.returncode == 0, \
        f'{" ".join(command)} failed with exit code {result.returncode}:\n' \
        f'{_tail(result.stdout, 3000)}\n{_tail(result.stderr)}'
    return result


class _Terminated(BaseException):
    """SIGTERM arrived while a command ran (see :func:`_terminate_kills`)."""


@contextlib.contextmanager
def _terminate_kills() -> Iterator[None]:
    """Let a SIGTERM that arrives while the block runs first unwind it (so
    that :func:`run_bounded` kills the command's processes), then act as it
    would have: the previous handler is restored and the signal sent again,
    which ends a test run as before. Python's default would end at once and
    leave the processes running. Only the main thread may set a handler;
    elsewhere the default stays."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def unwind(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once is enough
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, unwind)
    # None: a handler set from C, which Python cannot set back.
    previous = signal.SIG_DFL if previous is None else previous
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, previous)
        os.kill(os.getpid(), signal.SIGTERM)
        raise SystemExit(128 + signal.SIGTERM)  # if the handler returned
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port() -> int:
    """A TCP port that no process listens on now (the system's pick), for
    a torchrun rendezvous.

    Returns:
        int: The port.
    """
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def kill_processes(group: int, token: str) -> Set[int]:
    """SIGKILL a process group and every process whose environment holds
    ``token``, until none is left.

    Args:
        group (int): The process group (the id of its leader).
        token (str): The value of :data:`TOKEN_VARIABLE` to look for.

    Returns:
        set[int]: The ids of the processes found by their token.
    """
    _signal(os.killpg, group)
    found: Set[int] = set()
    # A process may fork between a scan and its kill, so scan again.
    for _ in range(10):
        pids = set(processes_with_token(token))
        if not pids:
            break
        found |= pids
        for pid in pids:
            _signal(os.kill, pid)
        time.sleep(0.1)
    return found


def processes_with_token(token: str) -> List[int]:
    """The live processes whose environment sets :data:`TOKEN_VARIABLE` to
    ``token`` (none where ``/proc`` does not exist).

    Args:
        token (str): The token.

    Returns:
        list[int]: Their process ids. Zombies are left out: their
        environment is gone, and their parents reap them.
    """
    marker = f'{TOKEN_VARIABLE}={token}'.encode()
    pids = []
    for name in os.listdir('/proc') if osp.isdir('/proc') else []:
        if not name.isdigit():
            continue
        try:
            with open(f'/proc/{name}/environ', 'rb') as file:
                variables = file.read().split(b'\0')
        except OSError:  # exited meanwhile, or another user's process
            continue
        if marker in variables:
            pids.append(int(name))
    return pids


def describe_processes(pids: List[int]) -> str:
    """One line per process: its id, parent, state and command line, so
    that a hung command's report says which process (the launcher or a
    worker) never ended, and whether it was running or waiting.

    Args:
        pids (list[int]): The processes.

    Returns:
        str: The lines (a process gone meanwhile is left out).
    """
    lines = []
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as file:
                fields = file.read().rsplit(')', 1)[1].split()
            with open(f'/proc/{pid}/cmdline', 'rb') as file:
                cmdline = file.read().replace(b'\0', b' ').decode(
                    errors='replace').strip()
        except OSError:
            continue
        lines.append(f'pid {pid} ppid {fields[1]} state {fields[0]}: '
                     f'{cmdline[:300]}')
    return '\n'.join(lines)


def _signal(kill, target: int) -> None:
    """SIGKILL ``target`` with ``kill`` (``os.kill``/``os.killpg``); one
    that is gone already is fine."""
    try:
        kill(target, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _drain(process: subprocess.Popen) -> Tuple[str, str]:
    """The rest of a killed process's output (empty if a process that
    escaped the kill still holds its pipes)."""
    try:
        return process.communicate(timeout=DRAIN_SECONDS)
    except subprocess.TimeoutExpired:
        return '', ''


def _tail(text: Optional[str], chars: int = TAIL_CHARS) -> str:
    """The last ``chars`` characters of ``text``."""
    if isinstance(text, bytes):
        text = text.decode(errors='replace')
    return (text or '')[-chars:]

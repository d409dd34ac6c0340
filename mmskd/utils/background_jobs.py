# Copyright (c) mmskd contributors. All rights reserved.
"""Commands run side by side in the background, as ``tools/demo.py`` runs
``tools/train.py`` and ``tools/test.py``: each writes to its own log file,
which is read back for progress, and one failure stops them all."""
import os
import subprocess
import time
from typing import Callable, List, Optional


class Job:
    """A command running in the background, its output going to a file.

    Args:
        tag (str): The job's name in progress messages.
        command (list[str]): The command line.
        log_file (str): Where its stdout and stderr go.
        threads (int, optional): ``OMP_NUM_THREADS`` of the process, unless
            the environment sets it.
        report (Callable, optional): Called as ``report(tag, line)`` with
            each new line of output (``pump``), e.g. to show progress.
            Defaults to None.
        cwd (str, optional): Its working directory. Defaults to None.
    """

    def __init__(self,
                 tag: str,
                 command: List[str],
                 log_file: str,
                 threads: Optional[int],
                 report: Optional[Callable[[str, str], None]] = None,
                 cwd: Optional[str] = None) -> None:
        env = dict(os.environ)
        # Idle OpenMP threads sleep instead of spinning: on busy shared
        # cores, spinning thread pools made iterations up to 100x slower.
        env.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
        if threads is not None:
            env.setdefault('OMP_NUM_THREADS', str(threads))
        self.tag, self.command, self.log_file = tag, command, log_file
        self.report = report
        self.start = time.time()
        self.seconds = 0.
        with open(log_file, 'w') as log:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True)
        self._reader = open(log_file)
        self._partial = ''

    def pump(self) -> None:
        """Report the lines the command wrote since the last call."""
        self._partial += self._reader.read()
        *lines, self._partial = self._partial.split('\n')
        for line in lines if self.report else ():
            self.report(self.tag, line)

    def finished(self) -> bool:
        """Whether the process has exited (its run time is then known)."""
        if self.process.poll() is None:
            return False
        if not self.seconds:
            self.seconds = time.time() - self.start
        return True

    def check(self) -> None:
        """Report the last lines; raise with the log's end if it failed.

        Raises:
            RuntimeError: If the command exited with a non-zero code.
        """
        self.pump()
        self._reader.close()
        if self.process.returncode != 0:
            with open(self.log_file) as log:
                tail = log.read()[-4000:]
            raise RuntimeError(
                f'{" ".join(self.command)} failed (exit code '
                f'{self.process.returncode}); the end of {self.log_file}:'
                f'\n{tail}')


def run_jobs(jobs: List[Job]) -> None:
    """Wait for jobs started together; stop them all if one fails.

    Args:
        jobs (list[Job]): The running jobs.

    Raises:
        RuntimeError: From the first job that failed.
    """
    try:
        while not all(job.finished() for job in jobs):
            for job in jobs:
                job.pump()
            if any(job.finished() and job.process.returncode != 0
                   for job in jobs):
                break
            time.sleep(1)
        for job in jobs:
            if job.finished():
                job.check()
    finally:
        for job in jobs:
            if job.process.poll() is None:
                job.process.terminate()
                job.process.wait()

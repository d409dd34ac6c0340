# Copyright (c) mmskd contributors. All rights reserved.
"""Commands run side by side in the background, as the demo
(:func:`mmskd.demo.run_demo`) runs ``tools/train.py``: each writes to its own
log file, which is read back for progress; jobs in one lane run one after
another, lanes side by side (or, with :func:`run_queue`, each free lane
takes the next job of one queue), and one failure stops them all."""
import os
import subprocess
import time
from typing import Callable, List, Optional, Sequence, Union


class Job:
    """A command to run in the background, its output going to a file.

    Args:
        tag (str): The job's name in progress messages.
        command (list[str]): The command line.
        log_file (str): Where its stdout and stderr go.
        threads (int, optional): ``OMP_NUM_THREADS`` of the process, over
            the environment's (a fixed count keeps runs reproducible);
            None leaves the environment's. Defaults to None.
        report (Callable, optional): Called as ``report(tag, line)`` with
            each new line of output (``pump``), e.g. to show progress.
            Defaults to None.
        cwd (str, optional): Its working directory. Defaults to None.

    The process starts with ``start`` (``run_jobs`` calls it).
    """

    def __init__(self,
                 tag: str,
                 command: List[str],
                 log_file: str,
                 threads: Optional[int] = None,
                 report: Optional[Callable[[str, str], None]] = None,
                 cwd: Optional[str] = None) -> None:
        self.env = dict(os.environ)
        # Idle OpenMP threads sleep instead of spinning: on busy shared
        # cores, spinning thread pools made iterations up to 100x slower.
        self.env.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
        if threads is not None:
            self.env['OMP_NUM_THREADS'] = str(threads)
        self.tag, self.command, self.log_file = tag, command, log_file
        self.report, self.cwd = report, cwd
        self.process: Optional[subprocess.Popen] = None
        self.started = 0.
        self.seconds = 0.
        self._reader = None
        self._partial = ''

    def start(self) -> None:
        """Start the command (its clock starts too)."""
        self.started = time.time()
        with open(self.log_file, 'w') as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True)
        self._reader = open(self.log_file)

    def pump(self) -> None:
        """Report the lines the command wrote since the last call."""
        self._partial += self._reader.read()
        *lines, self._partial = self._partial.split('\n')
        for line in lines if self.report else ():
            self.report(self.tag, line)

    def finished(self) -> bool:
        """Whether the process has exited (its run time is then known)."""
        if self.process is None or self.process.poll() is None:
            return False
        if not self.seconds:
            self.seconds = time.time() - self.started
        return True

    def failed(self) -> bool:
        """Whether the process has exited with a non-zero code."""
        return self.finished() and self.process.returncode != 0

    def stop(self) -> None:
        """Terminate the process if it still runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait()
        if self._reader is not None:
            self._reader.close()

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


def available_cores() -> int:
    """The CPU cores this process may run on: how many one-thread jobs can
    run side by side."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_jobs(lanes: Sequence[Union[Job, Sequence[Job]]]) -> None:
    """Run lanes of jobs side by side; stop them all if one fails.

    Args:
        lanes (list[Job | list[Job]]): The lanes, started together; the jobs
            of one lane run one after another (a single job is a lane of
            one).

    Raises:
        RuntimeError: From the first failed job, in the order of the lanes.
    """
    queues: List[List[Job]] = [
        [lane] if isinstance(lane, Job) else list(lane) for lane in lanes
    ]
    queues = [queue for queue in queues if queue]
    jobs = [job for queue in queues for job in queue]
    try:
        for queue in queues:
            queue[0].start()
        while not all(job.finished() for job in jobs):
            for queue in queues:
                _advance(queue)
            if any(job.failed() for job in jobs):
                break
            time.sleep(1)
        for job in jobs:
            if job.finished():
                job.check()
    finally:
        for job in jobs:
            job.stop()


def _advance(queue: List[Job]) -> None:
    """Report a lane's output; once a job has succeeded, start the next."""
    for job in queue:
        if job.process is None:
            job.start()
            return
        job.pump()
        if not job.finished() or job.failed():
            return


def run_queue(jobs: Sequence[Job],
              lanes: int,
              on_success: Optional[Callable[[Job], None]] = None) -> None:
    """Run jobs in their order, ``lanes`` at a time: a lane that is free
    starts the next job; one failure stops them all.

    Args:
        jobs (list[Job]): The jobs.
        lanes (int): How many run side by side (at least 1).
        on_success (Callable, optional): Called with each job that exited
            with code 0, as soon as it has (e.g. to record its result, so
            that a queue stopped later keeps it); what it raises stops the
            queue as a failure does. Jobs that succeed in the same moment as
            one fails are still reported. Defaults to None.

    Raises:
        RuntimeError: From the first failed job.

    A job that never ends holds its lane: bound the command itself.
    """
    waiting, running = list(jobs), []
    try:
        while waiting or running:
            while waiting and len(running) < max(lanes, 1):
                running.append(waiting.pop(0))
                running[-1].start()
            for job in running:
                job.pump()
            finished = [job for job in running if job.finished()]
            for job in finished:
                running.remove(job)
            for job in sorted(finished, key=Job.failed):
                job.check()  # raises for the first failed job
                if on_success is not None:
                    on_success(job)
            if running:
                time.sleep(1)
    finally:
        for job in running:
            job.stop()

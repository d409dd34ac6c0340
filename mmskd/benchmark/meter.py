# Copyright (c) mmskd contributors. All rights reserved.
"""Peak memory of one call: CUDA's allocator statistics or the CPU's RSS."""
import ctypes
import gc
import resource
import sys
from typing import Optional, Tuple

import torch

MiB = 2**20
GiB = 2**30

RESIDENT_NOTE = (
    'Peaks are per call and include everything resident in the process: '
    'the models (with --compare-mmrazor a second student and teacher) and '
    'the optimizer states of all phases; Δ is the peak above the start of '
    'the call, so compare phases by Δ.')
CPU_MEMORY_NOTE = (
    'CPU memory is the peak RSS of the process (VmHWM, reset before each '
    'call). It is coarse: it counts every page the allocator holds, and Δ '
    'misses memory a call reuses from freed but not returned pages (freed '
    'heap is returned to the OS before warm-up calls only). ' + RESIDENT_NOTE)
CUDA_MEMORY_NOTE = (
    'CUDA memory is torch.cuda.max_memory_allocated (live tensors), reset '
    'before each call. ' + RESIDENT_NOTE)


def _read_status_kib(field: str) -> Optional[int]:
    """A ``kB`` field (VmRSS, VmHWM) of /proc/self/status, or None."""
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith(field + ':'):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if impossible."""
    try:
        with open('/proc/self/clear_refs', 'w') as clear_refs:
            clear_refs.write('5')
        return True
    except OSError:
        return False


def _trim_malloc() -> None:
    """Give freed heap memory back to the OS (glibc), so RSS means live."""
    try:
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _ru_maxrss_kib() -> int:
    """Lifetime peak RSS in KiB (ru_maxrss is in bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == 'darwin' else peak


class MemoryMeter:
    """Peak memory of one call on CUDA (allocated) or CPU (peak RSS).

    On CUDA the meter reads ``torch.cuda.max_memory_allocated`` (live
    tensors), reset before each call. On CPU it reads the process's peak
    resident set size (``VmHWM``, reset through ``/proc/self/clear_refs``),
    which counts every page the allocator holds; where that reset is not
    possible, the lifetime peak (``ru_maxrss``), which shows a call's peak
    only when it grows.

    Args:
        device (torch.device): Where the measured calls run.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.is_cuda = device.type == 'cuda'
        if self.is_cuda:
            self.method = 'torch.cuda.max_memory_allocated'
        elif _reset_peak_rss() and _read_status_kib('VmHWM') is not None:
            self.method = 'VmHWM (/proc/self/clear_refs reset)'
        else:
            self.method = 'ru_maxrss (lifetime peak; Δ only when it grows)'
        self._base = 0

    @property
    def note(self) -> str:
        """What the reported peaks count, for the report."""
        return CUDA_MEMORY_NOTE if self.is_cuda else CPU_MEMORY_NOTE

    def start(self, settle: bool = False) -> None:
        """Start a measurement.

        Args:
            settle (bool): Collect garbage first and, on CPU, give freed heap
                pages back to the OS, so that the RSS at the start counts
                live memory only. Done on warm-up calls only: the freed pages
                would be faulted in again inside a timed call.
        """
        if settle:
            gc.collect()
        if self.is_cuda:
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._base = torch.cuda.memory_allocated(self.device)
        elif self.method.startswith('VmHWM'):
            if settle:
                _trim_malloc()
            _reset_peak_rss()
            self._base = _read_status_kib('VmRSS') * 1024
        else:
            self._base = _ru_maxrss_kib() * 1024

    def stop(self) -> Tuple[float, float]:
        """End the measurement.

        Returns:
            tuple[float, float]: The peak in MiB and the peak above the
            start in MiB.
        """
        if self.is_cuda:
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        elif self.method.startswith('VmHWM'):
            peak = _read_status_kib('VmHWM') * 1024
        else:
            peak = _ru_maxrss_kib() * 1024
        return peak / MiB, max(peak - self._base, 0) / MiB

"""What every benchmark here measures the same way: peak and current memory, the machine, and
progress lines on stderr.

Imported by the scripts beside it (``python benchmarks/trade.py`` puts this folder on the path,
and so does each script's child process).
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Iterable
from importlib import metadata
from typing import Any

_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Progress to stderr, with the seconds since this module was imported (the run's start)."""
    print(f"[{time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, MiB: the kernel's high-water mark of its
    address space (getrusage's ru_maxrss would carry the parent's peak over fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def rss_mb() -> float:
    """This process's resident memory now, MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return round(int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def machine(packages: Iterable[str]) -> dict[str, Any]:
    """Where the run ran: platform, CPU model and count, memory, load, Python and the versions of
    ``packages`` (None for one not installed)."""
    cpu = platform.processor()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next(
                line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    versions: dict[str, str | None] = {}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30, 1),
        "load_average_at_start": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        **versions,
    }

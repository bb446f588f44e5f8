"""This process's memory, in MB: what it holds now and the most it has held."""

from __future__ import annotations

import resource


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    """Resident set size now."""
    return _status_mb("VmRSS")


def high_water_mb() -> float:
    """Peak resident set size of this program since its exec.

    Read this rather than ``max_rss_mb`` in a spawned child: Linux carries
    ``ru_maxrss`` over from the forking parent across exec.
    """
    return _status_mb("VmHWM")


def max_rss_mb() -> float:
    """Peak resident set size as ``getrusage`` reports it."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

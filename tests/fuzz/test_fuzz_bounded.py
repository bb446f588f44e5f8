"""A short, bounded fuzz run of every target: any crash or slow input fails the suite.

The long run is ``python -m fuzz.run --minutes 10``; this one replays the seed
corpora and mutates them for a fixed number of runs (and at most a few seconds)
per target.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from fuzz.run import ROOT, TARGETS, command

pytest.importorskip("atheris", reason="atheris (a dev dependency) has wheels for Linux only")

RUNS = {"parse": 2_000, "subscribe": 10_000}
SECONDS = {"parse": 8, "subscribe": 5}


@pytest.mark.slow
@pytest.mark.parametrize("target", TARGETS)
def test_a_bounded_fuzz_run_finds_no_crash(target: str, tmp_path: Path) -> None:
    argv = command(
        target, work=tmp_path, runs=RUNS[target], seconds=SECONDS[target], python=sys.executable
    )
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, errors="replace", check=False, timeout=120
    )
    crashes = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert done.returncode == 0, f"{target}: {crashes}\n{done.stderr[-4000:]}"
    assert "Done" in done.stderr

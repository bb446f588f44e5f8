"""Run the fuzz targets: ``python -m fuzz.run --minutes 10 [--target parse]``.

Each target runs in its own process for the given minutes, at low priority,
starting from its seed corpus in ``fuzz/corpus/<target>/`` (read, never
written). What it learns and any crashing or slow input go to
``build/fuzz/<target>/``: a crash leaves ``crash-<sha1>`` (or ``timeout-``,
``slow-unit-``) there, to be replayed with ``python -m fuzz.<target> FILE`` and
turned into a regression test. Exits non-zero when any target crashed.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
SEEDS: Final = ROOT / "fuzz" / "corpus"
FINDINGS: Final = ROOT / "build" / "fuzz"
# The input size each target explores up to: big enough for a page or a request
# body with room to spare, small enough to keep executions fast.
MAX_LEN: Final = {"parse": 16_384, "subscribe": 5_000}
TARGETS: Final = tuple(MAX_LEN)
# libFuzzer's own per-input limit (seconds); the targets fail sooner on their own
# budget (``fuzz.checks.TIME_BUDGET_S``), this catches an input that never returns.
HANG_S: Final = 20


def command(
    target: str,
    *,
    work: Path,
    seconds: int | None = None,
    runs: int | None = None,
    python: str = sys.executable,
) -> list[str]:
    """The command line that fuzzs ``target``, learning into ``work/corpus``."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    flags = [
        f"-max_len={MAX_LEN[target]}",
        f"-timeout={HANG_S}",
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={work}{os.sep}",
    ]
    if seconds is not None:
        flags.append(f"-max_total_time={seconds}")
    if runs is not None:
        flags.append(f"-runs={runs}")
    return [python, "-m", f"fuzz.{target}", *flags, str(corpus), str(SEEDS / target)]


def run(target: str, *, seconds: int, work: Path) -> int:
    """Fuzz ``target`` for ``seconds`` at low priority; libFuzzer's exit status."""
    argv = ["nice", "-n", "10", *command(target, work=work, seconds=seconds)]
    print(f"fuzzing {target} for {seconds} s: {' '.join(argv)}", flush=True)
    return subprocess.run(argv, cwd=ROOT, check=False).returncode  # noqa: S603


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10, help="per target (default 10)")
    parser.add_argument("--target", choices=TARGETS, action="append", help="default: all")
    parser.add_argument("--findings", type=Path, default=FINDINGS, help="default: build/fuzz")
    args = parser.parse_args(argv)
    failed = []
    for target in args.target or TARGETS:
        work = args.findings / target
        if run(target, seconds=max(1, round(args.minutes * 60)), work=work) != 0:
            failed.append(f"{target} (inputs in {work})")
    if failed:
        print("crashes found: " + ", ".join(failed), file=sys.stderr)
        return 1
    print("no crashes found")
    return 0


if __name__ == "__main__":
    sys.exit(main())

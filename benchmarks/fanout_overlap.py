"""What an overlapping audience costs per push, against the same subscribers on ``all`` alone.

    .venv/bin/python -m benchmarks.fanout_overlap [--pairs 5] [--subscribers 10000]
        [--followers 30] [--followers-only 10]

Runs ``benchmarks.fanout`` in pairs, each in a fresh process and in turn so that
the machine's drift falls on both sides alike: first an update marked
``Notify: all`` that goes to ``all`` and to the story's followers (``--followers``
percent of the subscribers also follow the story, ``--followers-only`` percent
follow it and are not subscribed to everything), then a new story to the same
number of subscribers, all on ``all``. Both are sent by one sender; its rate
(pushes/s) is the cost figure. Every run must reach each subscriber once.

Prints each pair and the medians, writes ``benchmarks/results/fanout-overlap.json``,
and exits 1 on any duplicate, missing push or failed run. The ratio is reported,
not judged: on a shared 2-core machine single pairs vary by about 15 %.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "fanout-overlap.json"
RATE = "pushes_per_second_one_sender"


def _run(subscribers: int, extra: Sequence[str], out: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.fanout",
        "--subscribers",
        str(subscribers),
        "--probe-members",
        "0",
        "--output",
        str(out),
        *extra,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not out.exists():
        tail = (done.stdout + done.stderr).strip().splitlines()[-5:]
        return {"failed": " ".join(command[2:]), "output": tail}
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return figures


def _correct(figures: dict[str, Any]) -> bool:
    return (
        "failed" not in figures
        and figures.get("duplicates") == 0
        and figures.get("missing") == 0
        and not figures.get("errors")
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--followers", type=int, default=30)
    parser.add_argument("--followers-only", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    overlapping = ["--followers", str(args.followers), "--followers-only", str(args.followers_only)]

    pairs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(1, args.pairs + 1):
            started = time.monotonic()
            mixed = _run(args.subscribers, overlapping, Path(tmp) / f"mixed{n}.json")
            alone = _run(args.subscribers, [], Path(tmp) / f"alone{n}.json")
            pair = {
                "overlapping": mixed,
                "all_alone": alone,
                "ratio": (
                    round(mixed[RATE] / alone[RATE], 3)
                    if RATE in mixed and RATE in alone and alone[RATE]
                    else None
                ),
            }
            pairs.append(pair)
            print(
                f"pair {n}: overlapping {mixed.get(RATE, 'failed')} pushes/s "
                f"({mixed.get('jobs', '?')} jobs, duplicates {mixed.get('duplicates', '?')}, "
                f"missing {mixed.get('missing', '?')}); all alone {alone.get(RATE, 'failed')} "
                f"pushes/s ({alone.get('jobs', '?')} jobs); ratio {pair['ratio']} "
                f"[{time.monotonic() - started:.0f} s]",
                flush=True,
            )

    ratios = [p["ratio"] for p in pairs if p["ratio"] is not None]
    summary = {
        "command": "python -m benchmarks.fanout_overlap " + " ".join(argv or sys.argv[1:]),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
        "subscribers": args.subscribers,
        "followers_percent": args.followers,
        "followers_only_percent": args.followers_only,
        "overlapping_median": _median([p["overlapping"].get(RATE) for p in pairs]),
        "all_alone_median": _median([p["all_alone"].get(RATE) for p in pairs]),
        "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
        "ratio_range": [min(ratios), max(ratios)] if ratios else None,
        "correct": all(_correct(p["overlapping"]) and _correct(p["all_alone"]) for p in pairs),
        "pairs": pairs,
    }
    print(
        f"median pushes/s, one sender: overlapping {summary['overlapping_median']}, "
        f"all alone {summary['all_alone_median']}; cost per push against all alone: "
        f"ratio {summary['ratio_median']} (pairs {summary['ratio_range']}); "
        f"every subscriber once in every run: {'yes' if summary['correct'] else 'NO'}"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0 if summary["correct"] else 1


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 1) if present else None


if __name__ == "__main__":
    sys.exit(main())

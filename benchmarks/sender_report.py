"""The sender benchmark's rows: built from the phases, printed as a table, written as JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.sender_phase import PhaseResult


def latency_rows(
    latency: float,
    naive: PhaseResult,
    ours: Sequence[PhaseResult],
    our_encrypt: PhaseResult,
    encrypt: PhaseResult,
    service_counts: Mapping[int, int],
) -> list[dict[str, Any]]:
    """One row per phase at one service latency, rates compared with the naive loop's."""
    rows: list[dict[str, Any]] = []
    for result in (naive, *ours, our_encrypt, encrypt):
        rows.append(
            {
                "latency_ms": latency,
                "method": result.method,
                "messages": result.messages,
                "seconds": round(result.seconds, 3),
                "messages_per_second": round(result.rate, 1),
                "p50_ms": result.percentile(50),
                "p99_ms": result.percentile(99),
                "cpu_seconds_per_1000": round(result.cpu_seconds / result.messages * 1000, 4),
                "peak_rss_mb": round(result.peak_rss_mb, 1),
                "vs_naive": round(result.rate / naive.rate, 2) if naive.rate else None,
                "statuses": result.statuses,
            }
        )
    for row in rows[-2 - len(ours) : -1]:
        row["cpu_vs_encrypt_only"] = round(
            row["cpu_seconds_per_1000"] / rows[-1]["cpu_seconds_per_1000"], 2
        )
    rows[-3]["service_statuses"] = service_counts
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_rows(rows: Sequence[Mapping[str, Any]]) -> None:
    header = (
        f"{'latency':>7}  {'method':<32} {'msgs':>6} {'msg/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU s/1k':>9} {'RSS MB':>7} {'x naive':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['latency_ms']:>5.0f}ms  {row['method']:<32} {row['messages']:>6} "
            f"{_fmt(row['messages_per_second']):>9} {_fmt(row['p50_ms'], 2):>8} "
            f"{_fmt(row['p99_ms'], 2):>8} {row['cpu_seconds_per_1000']:>9.3f} "
            f"{row['peak_rss_mb']:>7.1f} {_fmt(row['vs_naive']):>8}"
        )
    for row in rows:
        if "cpu_vs_encrypt_only" in row:
            print(
                f"{row['latency_ms']:.0f} ms, {row['method']}: CPU per message = "
                f"{row['cpu_vs_encrypt_only']}x encryption alone"
            )
        if "service_statuses" in row:
            print(f"{row['latency_ms']:.0f} ms: service answers {row['service_statuses']}")


def write_results(
    path: Path,
    command_args: Sequence[str],
    args: argparse.Namespace,
    rows: Sequence[Mapping[str, Any]],
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "command": "python -m benchmarks.sender " + " ".join(command_args),
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": {
                    "cpus": os.cpu_count(),
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": round(load_before[0], 2),
                    "load_average_after": round(load_after[0], 2),
                },
                "settings": {
                    "subscribers": args.subscribers,
                    "max_in_flight": args.max_in_flight,
                    "page_size": args.page_size,
                    "processes": args.processes,
                    "decrypt_every": args.decrypt_every,
                    "mix": args.mix,
                },
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )

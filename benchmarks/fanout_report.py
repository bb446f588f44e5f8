"""The fan-out's figures: gathered from one run into the result, printed as a table."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from benchmarks.fanout_meters import QueryMeter, SendMeter


@dataclass
class FanoutPass:
    """One timed upload and the fan-out it caused."""

    uploaded_at: float
    done_at: float
    send_seconds: float
    send_invocations: int
    # UpdateItem calls on SUB# and TOPIC# items: renewed expiries, failure records.
    subscription_writes: int
    last_push_at: float | None


@dataclass
class FanoutRun:
    """What one run measured, before it becomes the result."""

    browsers_s: float
    seed_s: float
    settle_s: float
    uploaded_at: float
    done_at: float
    first_push_at: float | None
    passes: list[FanoutPass]
    service: Mapping[str, Any]  # PushServiceProcess.report()
    jobs: int
    delivery_counters: Mapping[str, Any]
    errors: list[str]
    sends: SendMeter
    queries: QueryMeter
    probe: Mapping[str, float]


def result(args: argparse.Namespace, run: FanoutRun) -> dict[str, Any]:
    """The figures ``benchmarks/results/fanout.json`` holds."""
    report, meter, queries = run.service, run.sends, run.queries
    # Each subscriber gets one push per timed fan-out.
    expected = len(run.passes)
    per_endpoint = {int(k): v for k, v in report["pushes_per_endpoint"].items()}
    duplicates = sum((k - expected) * v for k, v in per_endpoint.items() if k > expected)
    missing = sum((expected - k) * v for k, v in per_endpoint.items() if k < expected)
    first_pass = run.passes[0]
    first, last = run.first_push_at, first_pass.last_push_at
    uploaded_at = run.uploaded_at
    fanout_s = (last - uploaded_at) if last else None
    jobs = run.jobs // expected
    members_per_job = args.subscribers / jobs if jobs else None
    durations = meter.durations[: first_pass.send_invocations]
    return {
        "command": "python -m benchmarks.fanout " + " ".join(sys.argv[1:]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "subscribers": args.subscribers,
            "latency_ms": args.latency_ms,
            "shards": args.shards,
            "decrypt_every": args.decrypt_every,
            "senders": 1,
            "moto_query": "stock" if args.stock_moto else "partition-indexed",
            "switch_interval_s": args.switch_interval,
            "seed": "BatchWriteItem" if args.seed_api else "moto put_item in-process, no stream",
            "audience": (
                f"overlapping: {args.followers}% all + story, {args.followers_only}% story only"
                if args.followers or args.followers_only
                else "all"
            ),
            "confirmed_days_ago": args.confirmed_days_ago,
        },
        "setup_seconds": {
            "browsers": round(run.browsers_s, 1),
            "seed_items": 2 * args.subscribers,
            "seed": round(run.seed_s, 1),
            "stream_drain": round(run.settle_s, 1),
        },
        "upload_to_first_push_s": round(first - uploaded_at, 3) if first else None,
        "upload_to_last_push_s": round(fanout_s, 3) if fanout_s else None,
        "upload_to_idle_s": round(run.done_at - uploaded_at, 3),
        "jobs": jobs,
        "shards": args.shards,
        "members_per_job": round(members_per_job, 1) if members_per_job else None,
        "delivered": sum(k * v for k, v in per_endpoint.items()),
        "endpoints_with_pushes": per_endpoint,
        "duplicates": duplicates,
        "missing": missing,
        "delivery_counters": dict(run.delivery_counters),
        "decrypted_sample": report["decrypted"],
        "distinct_payloads": report["distinct_payloads"],
        "simulator_statuses": report["statuses"],
        "send_invocations": first_pass.send_invocations,
        "send_seconds": round(first_pass.send_seconds, 2),
        "send_job_p50_s": round(statistics.median(durations), 3) if durations else None,
        "send_job_max_s": round(max(durations), 3) if durations else None,
        "pushes_per_second_one_sender": round(args.subscribers / first_pass.send_seconds, 1)
        if first_pass.send_seconds
        else None,
        "subscription_writes": first_pass.subscription_writes,
        "fanouts": [
            {
                "upload_to_last_push_s": round(p.last_push_at - p.uploaded_at, 3)
                if p.last_push_at
                else None,
                "upload_to_idle_s": round(p.done_at - p.uploaded_at, 3),
                "send_seconds": round(p.send_seconds, 2),
                "pushes_per_second_one_sender": round(args.subscribers / p.send_seconds, 1)
                if p.send_seconds
                else None,
                "subscription_writes": p.subscription_writes,
                "writes_per_push": round(p.subscription_writes / args.subscribers, 3),
            }
            for p in run.passes
        ],
        "sender_rss_baseline_mb": round(meter.baseline_mb or 0, 1),
        "sender_rss_peak_mb": round(meter.peak_mb, 1),
        "sender_rss_growth_mb": round(meter.growth_mb, 1),
        "sender_process": {k: round(v, 1) for k, v in run.probe.items()},
        "member_queries": queries.calls,
        "member_query_items": queries.items,
        "member_query_seconds": round(queries.seconds, 2),
        "member_query_ms_per_page": round(1000 * queries.seconds / queries.calls, 1)
        if queries.calls
        else None,
        "errors": run.errors[:20],
    }


def print_table(result: Mapping[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Fan-out on the local stack (one sender, moto in-process)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    s = result["settings"]
    rows = [
        ("subscribers", f"{s['subscribers']:,}"),
        ("push-service latency", f"{s['latency_ms']:g} ms"),
        ("shards / jobs", f"{result['shards']} / {result['jobs']}"),
        ("members per job", f"{result['members_per_job']}"),
        ("upload → first push", f"{result['upload_to_first_push_s']} s"),
        ("upload → last push", f"{result['upload_to_last_push_s']} s"),
        ("pushes delivered", f"{result['delivered']:,}"),
        ("duplicates / missing", f"{result['duplicates']} / {result['missing']}"),
        ("decrypted sample (valid)", f"{result['decrypted_sample']:,}"),
        ("send invocations / seconds", f"{result['send_invocations']} / {result['send_seconds']}"),
        ("pushes/s, one sender", f"{result['pushes_per_second_one_sender']}"),
        ("writes to subscriptions/members", f"{result['subscription_writes']:,}"),
        (
            "member Query pages / seconds",
            f"{result['member_queries']} / {result['member_query_seconds']}"
            f" ({result['member_query_ms_per_page']} ms each)",
        ),
        ("stack process RSS growth while sending", f"{result['sender_rss_growth_mb']} MB"),
        (
            "process RSS before send / peak",
            f"{result['sender_rss_baseline_mb']} / {result['sender_rss_peak_mb']} MB",
        ),
        (
            "setup: browsers / seed / drain",
            "{browsers} / {seed} / {stream_drain} s".format(**result["setup_seconds"]),
        ),
    ]
    probe = result.get("sender_process") or {}
    if probe:
        rows.append(
            (
                f"sender process alone: one job of {probe['members']:,.0f}",
                f"peak RSS {probe['peak_rss_mb']} MB ({probe['rss_after_imports_mb']} MB "
                f"after imports), {probe['seconds']} s",
            )
        )
    for n, fanout in enumerate(result["fanouts"][1:], start=2):
        rows.append(
            (
                f"fan-out {n}: pushes/s, writes",
                f"{fanout['pushes_per_second_one_sender']} /s, "
                f"{fanout['subscription_writes']:,} writes",
            )
        )
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
    if result["errors"]:
        Console().print("[red]pipeline errors:[/red]", *result["errors"], sep="\n")

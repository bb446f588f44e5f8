"""Load on the local stack: many subscriptions through its HTTP API, then one upload to them all.

    .venv/bin/python -m benchmarks.load [--subscriptions 10000] [--concurrency 16]

What it does, in order:

1. starts a fresh local stack in this process (``LocalStack``, with its moto
   fixes) and the push-service simulator in a process of its own, with one
   simulated browser per subscription (each with its own keys; every push is
   VAPID-checked and decrypted);
2. from a third process, POSTs each browser's subscription to the stack's
   ``/subscriptions`` over HTTP, ``--concurrency`` requests in flight;
3. reads the table back: every endpoint must have exactly one SUB item and one
   ``all`` topic member;
4. waits for the stream to drain, uploads one new article through the stack's
   AWS endpoint and waits until every browser got its push;
5. checks the push service got exactly one decrypted push per subscription.

This process's peak RSS (``VmHWM``) is the stack's: moto, the handlers and the
event sources, as ``stoppress dev`` runs them. Prints a table, writes
``benchmarks/results/load.json`` and exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from benchmarks.process_memory import high_water_mb, rss_mb
from benchmarks.push_service_process import PushServiceProcess
from benchmarks.results import write_results

if TYPE_CHECKING:
    from stoppress_dev.localstack import LocalStack

SAMPLE = "rail-strike-talks.txt"
ARTICLE_KEY = "articles/load-benchmark-rail-strike.txt"


@dataclass
class SubscribeRun:
    """What POSTing the subscriptions gave: statuses, failures, time, latency percentiles."""

    seconds: float
    statuses: dict[int, int]
    failures: list[str] = field(default_factory=list)
    p50_ms: float = 0.0
    p99_ms: float = 0.0

    @property
    def created(self) -> int:
        return self.statuses.get(201, 0)


@dataclass
class StoredCheck:
    """Per endpoint: how many SUB items and ``all`` topic members the table holds."""

    subscriptions: int
    members: int
    duplicates: int
    missing: int
    unexpected: int


def subscribe_all(
    api_url: str, infos: Sequence[Mapping[str, Any]], concurrency: int
) -> SubscribeRun:
    """POST every ``subscription_info`` to ``api_url``, ``concurrency`` at a time."""
    return asyncio.run(_subscribe_all(api_url, infos, concurrency))


async def _subscribe_all(
    api_url: str, infos: Sequence[Mapping[str, Any]], concurrency: int
) -> SubscribeRun:
    import aiohttp

    pending = list(reversed(infos))
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    latencies: list[float] = []
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def worker(session: aiohttp.ClientSession) -> None:
        while pending:
            info = pending.pop()
            started = time.perf_counter()
            try:
                async with session.post(
                    f"{api_url}/subscriptions",
                    json={"subscription": dict(info), "topics": ["all"]},
                ) as response:
                    body = await response.read()
                    statuses[response.status] += 1
                    if response.status != 201:
                        failures.append(f"{response.status}: {body[:200]!r}")
            except (aiohttp.ClientError, TimeoutError) as e:
                failures.append(f"{type(e).__name__}: {e}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    latencies.sort()
    return SubscribeRun(
        seconds=seconds,
        statuses=dict(statuses),
        failures=failures,
        p50_ms=1000 * latencies[len(latencies) // 2] if latencies else 0.0,
        p99_ms=1000 * latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0,
    )


def _subscribe_in_child(
    conn: Any, api_url: str, infos: Sequence[Mapping[str, Any]], concurrency: int
) -> None:
    conn.send(asdict(subscribe_all(api_url, infos, concurrency)))


def stored_subscriptions(stack: LocalStack, endpoints: Sequence[str]) -> StoredCheck:
    """Read the table back: each endpoint's SUB item and ``all`` member, counted."""
    import boto3

    from stoppress.contracts.keys import SUB_PK_PREFIX, TOPIC_ALL, TOPIC_PK_PREFIX

    state = stack.state
    client = boto3.client(
        "dynamodb",
        endpoint_url=state.aws_endpoint_url,
        region_name=state.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    subs: Counter[str] = Counter()
    members: Counter[str] = Counter()
    member_prefix = f"{TOPIC_PK_PREFIX}{TOPIC_ALL}#"
    kwargs: dict[str, Any] = {
        "TableName": state.table,
        "ProjectionExpression": "pk, sk, endpoint",
    }
    while True:
        page = client.scan(**kwargs)
        for item in page["Items"]:
            pk, endpoint = item["pk"]["S"], item.get("endpoint", {}).get("S", "")
            if pk.startswith(SUB_PK_PREFIX):
                subs[endpoint] += 1
            elif pk.startswith(member_prefix):
                members[endpoint] += 1
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    wanted = set(endpoints)
    duplicates = sum(n - 1 for n in subs.values() if n > 1)
    duplicates += sum(n - 1 for n in members.values() if n > 1)
    missing = sum(1 for e in wanted if subs[e] == 0) + sum(1 for e in wanted if members[e] == 0)
    unexpected = len(set(subs) - wanted) + len(set(members) - wanted)
    return StoredCheck(
        subscriptions=sum(subs.values()),
        members=sum(members.values()),
        duplicates=duplicates,
        missing=missing,
        unexpected=unexpected,
    )


def upload_article(stack: LocalStack) -> float:
    """Put the sample article under ``articles/`` like an editor; returns the time it was put."""
    import boto3

    from stoppress_dev.http_front import SAMPLES

    state = stack.state
    s3 = boto3.client(
        "s3",
        endpoint_url=state.aws_endpoint_url,
        region_name=state.region,
        aws_access_key_id="editor",
        aws_secret_access_key="editor",
    )
    uploaded_at = time.time()
    s3.put_object(Bucket=state.bucket, Key=ARTICLE_KEY, Body=(SAMPLES / SAMPLE).read_bytes())
    return uploaded_at


def push_figures(report: Mapping[str, Any]) -> dict[str, int]:
    """Duplicates, missing and decrypted pushes from a push service's per-endpoint counts."""
    per_endpoint = {int(k): v for k, v in report["pushes_per_endpoint"].items()}
    return {
        "duplicates": sum((k - 1) * v for k, v in per_endpoint.items() if k > 1),
        "missing": per_endpoint.get(0, 0),
        "decrypted": int(report["decrypted"]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    from stoppress_dev.localstack import LocalStack

    logging.getLogger("local-stack").setLevel(logging.WARNING)
    ctx = mp.get_context("spawn")
    started = time.perf_counter()
    stack = LocalStack(fix_moto=not args.stock_moto)
    state = stack.start()
    rss_at_start = rss_mb()
    service = PushServiceProcess(
        ctx, state.vapid_public_key, args.subscriptions, decrypt_every=1, record=True
    )
    try:
        infos = service.start()
        endpoints = [info["endpoint"] for info in infos]
        stack.wait_idle(timeout=60)
        print(
            f"stack and {len(infos)} simulated browsers ready in "
            f"{time.perf_counter() - started:.1f} s; subscribing...",
            file=sys.stderr,
        )

        parent, child = ctx.Pipe()
        client = ctx.Process(
            target=_subscribe_in_child,
            args=(child, state.api_url, infos, args.concurrency),
            daemon=True,
        )
        cpu_before = time.process_time()
        client.start()
        subscribed = SubscribeRun(**parent.recv())
        subscribe_cpu_s = time.process_time() - cpu_before
        client.join(10)
        rss_after_subscribe = rss_mb()
        print(f"{subscribed.created} subscriptions in {subscribed.seconds:.1f} s", file=sys.stderr)

        stored = stored_subscriptions(stack, endpoints)
        t0 = time.perf_counter()
        stack.wait_idle(timeout=args.timeout)
        drain_s = time.perf_counter() - t0

        uploaded_at = upload_article(stack)
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline and service.delivered() < args.subscriptions:
            time.sleep(0.25)
        stack.wait_idle(timeout=max(30.0, deadline - time.monotonic()))
        report = service.report()
        service.stop()
    finally:
        service.close(10)
        stack.stop()

    pushes = push_figures(report)
    last_at = report.get("last_at")
    errors = [s.text for s in stack.steps if s.kind == "error"]
    return {
        "settings": {
            "subscriptions": args.subscriptions,
            "concurrency": args.concurrency,
            "moto": "stock" if args.stock_moto else "with stoppress_dev.localstack.moto_fixes",
        },
        "subscribe": {
            "seconds": round(subscribed.seconds, 2),
            "per_second": round(subscribed.created / subscribed.seconds, 1)
            if subscribed.seconds
            else 0.0,
            "stack_cpu_s": round(subscribe_cpu_s, 2),
            "p50_ms": round(subscribed.p50_ms, 1),
            "p99_ms": round(subscribed.p99_ms, 1),
            "statuses": {str(k): v for k, v in sorted(subscribed.statuses.items())},
            "failures": len(subscribed.failures),
            "first_failures": subscribed.failures[:5],
        },
        "stored": asdict(stored),
        "stream_drain_s": round(drain_s, 2),
        "fanout": {
            "upload_to_last_push_s": round(last_at - uploaded_at, 2) if last_at else None,
            **pushes,
            "statuses": report["statuses"],
        },
        "memory_mb": {
            "rss_after_start": round(rss_at_start, 1),
            "rss_after_subscribe": round(rss_after_subscribe, 1),
            "peak_rss": round(high_water_mb(), 1),
        },
        "pipeline_errors": errors[:20],
        "pipeline_error_count": len(errors),
    }


def verdicts(figures: Mapping[str, Any], args: argparse.Namespace) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target of the run."""
    sub, stored, fanout = figures["subscribe"], figures["stored"], figures["fanout"]
    n = args.subscriptions
    return [
        (
            f"{n} subscriptions in < {args.time_limit:.0f} s",
            f"{sub['seconds']:.1f} s ({sub['per_second']:.0f}/s, p50 {sub['p50_ms']:.0f} ms, "
            f"p99 {sub['p99_ms']:.0f} ms; stack CPU {sub['stack_cpu_s']:.1f} s)",
            sub["seconds"] < args.time_limit,
        ),
        (
            f"peak RSS < {args.memory_limit_mb:.0f} MB",
            f"{figures['memory_mb']['peak_rss']:.0f} MB",
            figures["memory_mb"]["peak_rss"] < args.memory_limit_mb,
        ),
        (
            "HTTP errors: 0",
            f"{sub['failures']} (statuses {sub['statuses']})",
            sub["failures"] == 0 and sub["statuses"].get("201") == n,
        ),
        (
            "pipeline errors: 0",
            str(figures["pipeline_error_count"]),
            figures["pipeline_error_count"] == 0,
        ),
        (
            "each subscription stored once",
            f"{stored['subscriptions']} SUB, {stored['members']} members; duplicates "
            f"{stored['duplicates']}, missing {stored['missing']}, unexpected "
            f"{stored['unexpected']}",
            stored["subscriptions"] == n
            and stored["members"] == n
            and not (stored["duplicates"] or stored["missing"] or stored["unexpected"]),
        ),
        (
            "one decrypted push per subscription",
            f"{fanout['decrypted']} decrypted; duplicates {fanout['duplicates']}, missing "
            f"{fanout['missing']}; upload→last push {fanout['upload_to_last_push_s']} s",
            fanout["decrypted"] == n and fanout["duplicates"] == 0 and fanout["missing"] == 0,
        ),
    ]


def print_table(rows: Sequence[tuple[str, str, bool]]) -> None:
    width = max(len(target) for target, _, _ in rows)
    print(f"{'target':<{width}}  {'':4}  measured")
    for target, measured, met in rows:
        print(f"{target:<{width}}  {'ok' if met else 'MISS':4}  {measured}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument(
        "--time-limit", type=float, default=120.0, help="target for subscribing, seconds"
    )
    parser.add_argument("--memory-limit-mb", type=float, default=1536.0, help="peak RSS target")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the stream and pushes"
    )
    parser.add_argument(
        "--stock-moto",
        action="store_true",
        help="start the stack without its moto fixes (expect it to miss the targets)",
    )
    args = parser.parse_args(argv)
    figures = run(args)
    rows = verdicts(figures, args)
    print_table(rows)
    figures["targets"] = [{"target": t, "measured": m, "met": ok} for t, m, ok in rows]
    path = write_results("load", figures)
    print(f"\nwritten to {path}")
    for error in figures["pipeline_errors"]:
        print(f"pipeline error: {error}", file=sys.stderr)
    return 0 if all(ok for _, _, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Whole-pipeline fan-out on the local stack: one upload, every subscriber pushed once.

    .venv/bin/python -m benchmarks.fanout [--subscribers 100000] [--latency-ms 20] [--shards 64]
        [--followers 30 --followers-only 10] [--confirmed-days-ago 40]

What it does, in order:

1. starts the local stack in this process (``stoppress_dev.localstack.LocalStack``:
   moto server, the template's table/queues, the handlers wired as Lambda
   wires them; SendFunction runs one invocation at a time, i.e. ONE sender);
2. starts the push-service simulator (``stoppress_dev.pushservice``) in its own
   process with ``--latency-ms`` per answer; it verifies every VAPID token,
   decrypts every ``--decrypt-every``-th message and records each accepted push
   per endpoint. Every subscriber is a simulated browser with its own P-256 key
   pair and auth secret (one costs about 25 µs to make, so no key pool);
3. writes the SUB item and the ``all`` TOPIC member item of each subscriber
   (``fanout_audience``) into moto's table in this process (``--seed-api``
   sends them with BatchWriteItem instead, see ``seed_direct`` for why not by
   default);
4. uploads one new article through the stack's AWS endpoint with boto3 and
   waits until every subscriber got its push; with ``--followers`` /
   ``--followers-only`` the audience overlaps (``all``, ``all`` and the story,
   the story alone), the story is first stored silently and the timed upload is
   an update marked ``Notify: all``, which every subscriber must get once;
   with ``--confirmed-days-ago`` every subscriber was last confirmed that long
   ago, so the push that reaches it may be due to confirm it again (after 30
   days: ``stoppress.subscriptions.model.Expiry``), and a second new article is
   then timed the same way, by which time nobody is due;
5. reports upload→first and upload→last push (the simulator's accept times),
   jobs and shards, pushes per endpoint (duplicates and missing must be 0), the
   member Query pages the send path made and the time moto took to answer
   them, the writes to subscription and member items (renewed expiries) per
   fan-out, and memory: the stack process's RSS growth while send invocations run
   (moto's work included), and then a clean figure, SendFunction's handler run
   in a fresh process on ONE job holding the whole audience (``--probe-members``,
   ``fanout_probe``), whose peak RSS is what Lambda reports as "Max Memory Used".

moto is the slow part, not the sender: its Query scans the whole table and
sorts the partition for every page, and every transaction deep-copies the
table. ``benchmarks.moto_shortcuts`` works around that for this run (same
results, less work); ``--stock-moto`` turns that off (ingest then times out
above some tens of thousands of subscribers).

Prints a table and writes ``benchmarks/results/fanout.json``; exits 1 on any
duplicate, missing push or pipeline error.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import moto_shortcuts
from benchmarks.fanout_audience import seed_api, seed_direct
from benchmarks.fanout_meters import QueryMeter, SendMeter, WriteMeter, measured_stack
from benchmarks.fanout_probe import memory_probe
from benchmarks.fanout_report import FanoutPass, FanoutRun, print_table, result
from benchmarks.push_service_process import PushServiceProcess
from stoppress.contracts.keys import SUB_PK_PREFIX, TOPIC_PK_PREFIX

RESULTS = Path(__file__).resolve().parent / "results" / "fanout.json"
SAMPLE = "rail-strike-talks.txt"
ARTICLE_KEY = "articles/fanout-benchmark-rail-strike.txt"
# The second fan-out of an aged audience: another new story, to everyone.
SECOND_ARTICLE_KEY = "articles/fanout-benchmark-rail-strike-second-day.txt"
# The seeded partitions: subscriptions and topic members.
SEEDED = (SUB_PK_PREFIX, TOPIC_PK_PREFIX)


UPDATE_PARAGRAPH = (
    b"\n\nLate on Thursday, both sides said they would meet again on Monday morning "
    b"with a mediator from the state labour board.\n"
)


def _overlapping(args: argparse.Namespace) -> bool:
    return bool(args.followers or args.followers_only)


def _overlapping_topics(args: argparse.Namespace) -> Callable[[int], tuple[str, ...]]:
    """Every subscriber's topics: ``all``, ``all`` and the story, or only the story."""
    from stoppress.contracts.keys import TOPIC_ALL, article_id_from_key, article_topic

    story = article_topic(article_id_from_key(ARTICLE_KEY))
    both, only = (TOPIC_ALL, story), (story,)

    def topics_of(n: int) -> tuple[str, ...]:
        percent = n % 100
        if percent < args.followers_only:
            return only
        if percent < args.followers_only + args.followers:
            return both
        return (TOPIC_ALL,)

    return topics_of


def _template_shards() -> int:
    from stoppress_dev import template as tpl

    return int(tpl.load_template()["Parameters"]["TopicShards"]["Default"])


def run(args: argparse.Namespace) -> FanoutRun:
    import logging

    import boto3

    from stoppress.aws import clients
    from stoppress_dev.http_front import SAMPLES

    logging.getLogger("local-stack").setLevel(logging.WARNING)
    meter = SendMeter()
    queries = QueryMeter()
    # One sender process per invocation, as the template deploys it (PUSH_SENDER_PROCESSES
    # is not set there), so the query hooks below see every member page.
    stack = measured_stack(
        meter,
        topic_shards=args.shards,
        env_overrides={"PUSH_SENDER_PROCESSES": "1"},
        fix_moto=not args.stock_moto,
        # Nothing seeded expires during a run; a sweep would only scan the audience.
        ttl_sweep_seconds=None,
    )
    state = stack.start()
    service = PushServiceProcess(
        mp.get_context("spawn"),
        state.vapid_public_key,
        args.subscribers,
        decrypt_every=args.decrypt_every,
        latency_ms=args.latency_ms,
        record=True,
    )
    with contextlib.ExitStack() as shortcuts:
        try:
            t0 = time.perf_counter()
            infos = service.start()
            browsers_s = time.perf_counter() - t0
            print(f"{len(infos)} simulated browsers in {browsers_s:.1f} s", file=sys.stderr)
            # The stream poller has described the stream before seeding sets its shard aside.
            stack.wait_idle(timeout=60)
            if not args.stock_moto:
                shortcuts.enter_context(moto_shortcuts.partition_indexed_queries())
                shortcuts.enter_context(moto_shortcuts.transaction_backups_sharing(SEEDED))
            topics_of = _overlapping_topics(args) if _overlapping(args) else None
            seed = seed_api if args.seed_api else seed_direct
            seed_s = seed(state.table, infos, args.shards, topics_of, args.confirmed_days_ago)
            print(f"audience of {len(infos)} written in {seed_s:.1f} s", file=sys.stderr)
            t0 = time.perf_counter()
            stack.wait_idle(timeout=1800)
            settle_s = time.perf_counter() - t0
            print(f"stream drained in {settle_s:.1f} s", file=sys.stderr)

            queries.attach(clients.dynamodb())
            writes = WriteMeter()
            writes.attach(clients.dynamodb())
            meter.start()
            s3 = boto3.client(
                "s3",
                endpoint_url=state.aws_endpoint_url,
                region_name=state.region,
                aws_access_key_id="editor",
                aws_secret_access_key="editor",
            )
            body = (SAMPLES / SAMPLE).read_bytes()
            if _overlapping(args):
                # The story first, stored silently; then an update for everyone, which
                # goes to "all" and to the story's followers: each reader must get it once.
                s3.put_object(Bucket=state.bucket, Key=ARTICLE_KEY, Body=b"Notify: none\n" + body)
                stack.wait_idle(timeout=600)
                body = b"Notify: all\n" + body.rstrip() + UPDATE_PARAGRAPH

            def timed(key: str, body: bytes, expected: int) -> FanoutPass:
                """Upload, then wait until ``expected`` pushes in all were accepted."""
                seconds, invocations, written = meter.seconds, meter.invocations, writes.calls
                uploaded_at = time.time()
                s3.put_object(Bucket=state.bucket, Key=key, Body=body)
                deadline = time.monotonic() + args.timeout
                while time.monotonic() < deadline and service.delivered() < expected:
                    time.sleep(0.25)
                stack.wait_idle(timeout=max(30.0, deadline - time.monotonic()))
                return FanoutPass(
                    uploaded_at=uploaded_at,
                    done_at=time.time(),
                    send_seconds=meter.seconds - seconds,
                    send_invocations=meter.invocations - invocations,
                    subscription_writes=writes.calls - written,
                    last_push_at=service.report()["last_at"],
                )

            passes = [timed(ARTICLE_KEY, body, args.subscribers)]
            first_report = service.report()
            if args.confirmed_days_ago:
                body = (SAMPLES / SAMPLE).read_bytes()
                passes.append(timed(SECOND_ARTICLE_KEY, body, 2 * args.subscribers))
            delivered = service.delivered()
            meter.stop()
            report = service.report()
            delivered_steps = [s for s in stack.steps if s.kind == "delivered"]
            probe: dict[str, float] = {}
            if args.probe_members and meter.first_record is not None:
                print(f"memory probe: one job of {args.probe_members} members", file=sys.stderr)
                probe = memory_probe(state.table, infos, meter.first_record, args.probe_members)
                probe["delivered"] = service.delivered() - delivered
            service.stop()
        finally:
            service.close(10)
            stack.stop()

    return FanoutRun(
        browsers_s=browsers_s,
        seed_s=seed_s,
        settle_s=settle_s,
        uploaded_at=passes[0].uploaded_at,
        done_at=passes[0].done_at,
        first_push_at=first_report["first_at"],
        passes=passes,
        service=report,
        jobs=sum(int(s.details.get("jobs", 0)) for s in stack.steps if s.kind == "jobs"),
        delivery_counters=delivered_steps[-1].details if delivered_steps else {},
        errors=[s.text for s in stack.steps if s.kind == "error"],
        sends=meter,
        queries=queries,
        probe=probe,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument(
        "--shards", type=int, default=None, help="topic shards (default: the template's)"
    )
    parser.add_argument("--decrypt-every", type=int, default=50)
    parser.add_argument(
        "--stock-moto",
        action="store_true",
        help="leave moto as it is: Query scans the whole table for every page and every "
        "transaction deep-copies the table (ingest times out above some 50,000 subscribers)",
    )
    parser.add_argument(
        "--seed-api",
        action="store_true",
        help="seed with BatchWriteItem over HTTP (slow: every item also goes through the stream)",
    )
    parser.add_argument(
        "--probe-members",
        type=int,
        default=None,
        help="then send one job of this many members (default: every subscriber) from a "
        "fresh process and report its peak RSS (0: skip)",
    )
    parser.add_argument(
        "--followers",
        type=int,
        default=0,
        help="percent of subscribers who also follow the story; with --followers-only, the "
        "story is stored silently and an update for everyone (all + its followers) is timed",
    )
    parser.add_argument(
        "--followers-only",
        type=int,
        default=0,
        help="percent of subscribers who follow the story and are not subscribed to all",
    )
    parser.add_argument(
        "--confirmed-days-ago",
        type=float,
        default=0.0,
        help="every subscriber was last confirmed this many days ago (more than 30: the first "
        "fan-out confirms each again); a second new article is then timed, nobody due",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds to wait")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--switch-interval",
        type=float,
        default=0.0005,
        help="sys.setswitchinterval (s) for this process: moto's server threads and the sender "
        "share one GIL, and at Python's 5 ms default each member page waits for it",
    )
    args = parser.parse_args(argv)
    if args.confirmed_days_ago and _overlapping(args):
        parser.error("--confirmed-days-ago times two new stories to everyone: not with followers")
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    if args.shards is None:
        args.shards = _template_shards()
    if args.probe_members is None:
        args.probe_members = args.subscribers
    figures = result(args, run(args))
    print_table(figures)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    ok = figures["duplicates"] == 0 and figures["missing"] == 0 and not figures["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

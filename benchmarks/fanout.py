"""Whole-pipeline fan-out on the local stack: one upload, every subscriber pushed once.

    .venv/bin/python -m benchmarks.fanout [--subscribers 100000] [--latency-ms 20] [--shards 64]

What it does, in order:

1. starts the local stack in this process (``stoppress_dev.stack.LocalStack``:
   moto server, the template's table/queues, the handlers wired as Lambda
   wires them; SendFunction runs one invocation at a time, i.e. ONE sender);
2. starts the push-service simulator (``stoppress_dev.pushservice``) in its own
   process with ``--latency-ms`` per answer; it verifies every VAPID token,
   decrypts every ``--decrypt-every``-th message and records each accepted push
   per endpoint. Every subscriber is a simulated browser with its own P-256 key
   pair and auth secret (one costs about 25 µs to make, so no key pool);
3. writes the SUB item and the ``all`` TOPIC member item of each subscriber,
   built by the SubscriptionStore's own mapping functions
   (``subscription_to_item``, ``member_to_item``) and sharded with
   ``keys.shard_of``, into moto's table in this process (``--seed-api`` sends
   them with BatchWriteItem instead, see ``seed_direct`` for why not by default);
4. uploads one new article through the stack's AWS endpoint with boto3 and
   waits until every subscriber got its push;
5. reports upload→first and upload→last push (the simulator's accept times),
   jobs and shards, pushes per endpoint (duplicates and missing must be 0), the
   member Query pages the send path made and the time moto took to answer
   them, and memory: the stack process's RSS growth while send invocations run
   (moto's work included), and then a clean figure, SendFunction's handler run
   in a fresh process on ONE job holding the whole audience (``--probe-members``),
   whose peak RSS is what Lambda reports as "Max Memory Used".

moto is the slow part, not the sender: its Query scans the whole table and
sorts the partition for every page, and every transaction deep-copies the
table. ``index_moto_queries`` and ``share_seeded_partitions_in_backups`` work
around that for this run (same results, less work); ``--stock-moto`` turns them
off (ingest then times out above some tens of thousands of subscribers).

Prints a table and writes ``benchmarks/results/fanout.json``; exits 1 on any
duplicate, missing push or pipeline error.
"""

from __future__ import annotations

import argparse
import bisect
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "fanout.json"
SAMPLE = "rail-strike-talks.txt"
ARTICLE_KEY = "articles/fanout-benchmark-rail-strike.txt"
WRITERS = 4


# -- the simulator process -------------------------------------------------------------


def _simulator(conn: Any, public_key: str, subscribers: int, latency_ms: float, every: int) -> None:
    from stoppress_dev.pushservice import PushService

    with PushService(
        vapid_public_key=public_key, latency_ms=latency_ms, decrypt_every=every, record=True
    ) as service:
        subs = [service.new_subscriber(f"b{n}") for n in range(subscribers)]
        conn.send([s.subscription_info() for s in subs])
        while True:
            command = conn.recv()
            if command == "delivered":
                conn.send(service.delivered)
            elif command == "report":
                conn.send(_report(service, subs))
            elif command == "stop":
                conn.send(None)
                return


def _report(service: Any, subs: Sequence[Any]) -> dict[str, Any]:
    per_endpoint: Counter[int] = Counter()
    times: list[float] = []
    decrypted = 0
    payloads: set[str] = set()
    for sub in subs:
        deliveries = sub.deliveries
        per_endpoint[len(deliveries)] += 1
        for d in deliveries:
            times.append(d.received_at)
            if d.payload is not None:
                decrypted += 1
                payloads.add(json.dumps(d.payload, sort_keys=True))
    return {
        "pushes_per_endpoint": {str(k): v for k, v in sorted(per_endpoint.items())},
        "first_at": min(times) if times else None,
        "last_at": max(times) if times else None,
        "statuses": {str(k): v for k, v in service.status_counts().items()},
        "decrypted": decrypted,
        "distinct_payloads": len(payloads),
        "simulator_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


# -- memory of the send path -----------------------------------------------------------


def _status_mb(field_name: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def _rss_mb() -> float:
    return _status_mb("VmRSS")


@dataclass
class SendMeter:
    """RSS while send invocations run (sampled), and their count and duration."""

    interval: float = 0.01
    baseline_mb: float | None = None
    peak_mb: float = 0.0
    invocations: int = 0
    seconds: float = 0.0
    durations: list[float] = field(default_factory=list)
    _active: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        threading.Thread(target=self._sample, name="rss-sampler", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _sample(self) -> None:
        while not self._stop.is_set():
            if self._active.wait(0.2):
                self.peak_mb = max(self.peak_mb, _rss_mb())
                self._stop.wait(self.interval)

    def around(self, call: Any) -> Any:
        if self.baseline_mb is None:
            self.baseline_mb = _rss_mb()
        self._active.set()
        started = time.monotonic()
        try:
            return call()
        finally:
            self._active.clear()
            elapsed = time.monotonic() - started
            self.invocations += 1
            self.seconds += elapsed
            self.durations.append(elapsed)
            self.peak_mb = max(self.peak_mb, _rss_mb())

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - (self.baseline_mb or self.peak_mb)


@dataclass
class QueryMeter:
    """Member Query calls made by the handlers' cached DynamoDB client: count, items, seconds."""

    calls: int = 0
    items: int = 0
    seconds: float = 0.0
    _local: threading.local = field(default_factory=threading.local)

    def attach(self, client: Any) -> None:
        client.meta.events.register("before-call.dynamodb.Query", self._before)
        client.meta.events.register("after-call.dynamodb.Query", self._after)

    def _before(self, params: Mapping[str, Any], **_: Any) -> None:
        body = params.get("body") or b""
        text = body.decode() if isinstance(body, bytes) else str(body)
        self._local.member = '"TOPIC#' in text
        self._local.started = time.perf_counter()

    def _after(self, parsed: Mapping[str, Any], **_: Any) -> None:
        if getattr(self._local, "member", False):
            self.calls += 1
            self.items += len(parsed.get("Items", []))
            self.seconds += time.perf_counter() - self._local.started


# -- moto: what makes it slow, and the two shortcuts this benchmark takes ------------


def _moto_table(table_name: str) -> Any:
    """The moto ``Table`` object behind the stack's table (the server runs in this process)."""
    from moto.dynamodb.models import dynamodb_backends

    for regions in dynamodb_backends.values():
        for backend in regions.values():
            if table_name in backend.tables:
                return backend.tables[table_name]
    raise LookupError(f"moto has no table {table_name!r}")


_partition = threading.local()
_sorted_keys: dict[int, tuple[int, list[Any]]] = {}


def index_moto_queries() -> None:
    """Make moto's base-table Query read the one partition it asks for.

    moto 5 answers a Query by listing every item of the table and keeping
    those with the hash key (``Table.all_items``), so each page of members
    costs O(items in the table): with 200,000 items that is moto's time, not
    the sender's. This hands ``Table.query`` the partition's own items (moto
    keeps them as ``items[hash][range]``); sorting, ``ExclusiveStartKey``,
    ``Limit``, projection and the 1 MB cap stay moto's. ``--stock-moto``
    measures without it.
    """
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    stock_all_items, stock_query = Table.all_items, Table.query
    if getattr(stock_query, "_partitioned", False):
        return

    def all_items(self: Any) -> list[Any]:
        got = getattr(_partition, "items", None)
        if got is not None and got[0] is self:
            return list(got[1])
        return stock_all_items(self)

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # Table.query(hash_key, range_comparison, range_objs, limit, exclusive_start_key,
        #             scan_index_forward, projection_expressions, index_name, ...)
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is None and hash_key is not None and self.range_key_attr:
            # moto sorts the partition and walks past every earlier item on each page:
            # hand it the page's items (and one more, so it sees there is a next page)
            # in order, from a sort kept while the partition's size is unchanged.
            part = self.items.get(hash_key, {})
            cached = _sorted_keys.get(id(part))
            if cached is None or cached[0] != len(part):
                cached = _sorted_keys[id(part)] = (len(part), sorted(part))
            keys = cached[1]
            limit = args[2] if len(args) > 2 else None
            start = args[3] if len(args) > 3 else None
            forward = args[4] if len(args) > 4 else True
            low, high = 0, len(keys)
            if start and self.range_key_attr in start:
                after = DynamoType(start[self.range_key_attr])
                if forward:
                    low = bisect.bisect_right(keys, after)
                else:
                    high = bisect.bisect_left(keys, after)
            if limit:
                low, high = (
                    (low, min(high, low + limit + 1))
                    if forward
                    else (
                        max(low, high - limit - 1),
                        high,
                    )
                )
            _partition.items = (self, [part[k] for k in keys[low:high]])
        try:
            return stock_query(self, hash_key, *args, **kwargs)
        finally:
            _partition.items = None

    query._partitioned = True  # type: ignore[attr-defined]
    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]


def share_seeded_partitions_in_backups() -> None:
    """Make moto's transaction backup copy the article items, not the whole audience.

    Before every TransactWriteItems moto deep-copies each table involved, to
    restore it if the transaction is cancelled. With 200,000 subscription
    items that copy takes longer than the clients' 10 s read timeout, so
    ingest's transaction (one HEAD + one VERSION item) times out. Here the
    copy shares the ``SUB#`` and ``TOPIC#`` partitions (a new dict per
    partition, the same item objects) and deep-copies everything else: a
    cancelled transaction still restores puts and deletes of any item and
    in-place updates of every other item. No transaction in this run updates a
    seeded subscription (the simulator accepts every push, so none is deleted).
    """
    import copy
    from collections import defaultdict

    from moto.dynamodb.models.table import Table

    if "__deepcopy__" in Table.__dict__:
        return

    def shared(hash_key: Any) -> bool:
        value = getattr(hash_key, "value", None)
        return isinstance(value, str) and value.startswith(("SUB#", "TOPIC#"))

    def deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        clone = self.__class__.__new__(self.__class__)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            if name == "items" and self.range_key_attr:
                value = defaultdict(
                    dict,
                    {
                        h: dict(part) if shared(h) else copy.deepcopy(part, memo)
                        for h, part in value.items()
                    },
                )
            else:
                value = copy.deepcopy(value, memo)
            setattr(clone, name, value)
        return clone

    Table.__deepcopy__ = deepcopy  # type: ignore[attr-defined]


# -- seeding ---------------------------------------------------------------------------


def _subscription(info: Mapping[str, Any], now: datetime) -> Any:
    from stoppress.contracts.keys import TOPIC_ALL, subscription_id
    from stoppress.subscriptions.model import Subscription

    return Subscription(
        sub_id=subscription_id(info["endpoint"]),
        endpoint=info["endpoint"],
        p256dh=info["keys"]["p256dh"],
        auth=info["keys"]["auth"],
        topics=(TOPIC_ALL,),
        created_at=now,
        updated_at=now,
    )


def _items(info: Mapping[str, Any], shards: int, now: datetime) -> list[dict[str, Any]]:
    """The SUB item and the ``all`` member item, as SubscriptionStore.put writes them."""
    from stoppress.contracts.keys import TOPIC_ALL, shard_of
    from stoppress.subscriptions.table import member_to_item, subscription_to_item

    sub = _subscription(info, now)
    shard = shard_of(sub.sub_id, shards)
    return [subscription_to_item(sub, shard=shard), member_to_item(sub, TOPIC_ALL, shard)]


def seed_api(table_name: str, infos: Sequence[Mapping[str, Any]], shards: int) -> float:
    """BatchWriteItem through the stack's AWS endpoint; returns seconds.

    About 1 ms an item on moto, and every item is also a stream record the
    stack's notify poller reads (10 a call) and filters out: minutes for 100k.
    """
    import boto3

    now = datetime.now(UTC)

    def write(chunk: Sequence[Mapping[str, Any]]) -> None:
        table = boto3.session.Session().resource("dynamodb").Table(table_name)
        with table.batch_writer() as batch:
            for info in chunk:
                for item in _items(info, shards, now):
                    batch.put_item(Item=item)

    started = time.perf_counter()
    step = -(-len(infos) // WRITERS)
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(write, [infos[i : i + step] for i in range(0, len(infos), step)]))
    return time.perf_counter() - started


def seed_direct(table_name: str, infos: Sequence[Mapping[str, Any]], shards: int) -> float:
    """The same items put into moto's table in this process, without stream records.

    What BatchWriteItem does in moto (``Table.put_item`` per item) minus HTTP,
    and with the table's stream shard set aside meanwhile: subscriptions were
    written long before the article, and NotifyFunction's stream source starts
    at LATEST with the filter applied by Lambda, so it never sees them on AWS;
    the local stack reads its stream from the start and would spend about
    4 ms on each seeded item to filter it out.
    """
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    table = _moto_table(table_name)
    now = datetime.now(UTC)
    started = time.perf_counter()
    stream, table.stream_shard = table.stream_shard, None
    try:
        for info in infos:
            for item in _items(info, shards, now):
                table.put_item({k: serializer.serialize(v) for k, v in item.items()})
    finally:
        table.stream_shard = stream
    return time.perf_counter() - started


# -- the sender alone, in a process of its own -----------------------------------------

PROBE_ARTICLE = "fanout-memory-probe"


def _probe(conn: Any, record: dict[str, Any], memory_mb: int, timeout_s: float) -> None:
    """Run SendFunction's handler on one job in a fresh process, as one Lambda instance would."""
    from functions.send.app import lambda_handler
    from stoppress.core.observability import logger
    from stoppress_dev.lambda_events import LambdaContext

    logger.setLevel("WARNING")

    loaded_mb = _rss_mb()
    context = LambdaContext(
        function_name="stoppress-local-send",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:stoppress-local-send",
        memory_limit_in_mb=memory_mb,
        timeout_seconds=timeout_s,
    )
    started = time.perf_counter()
    result = lambda_handler({"Records": [record]}, context)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
    outcome = {
        "seconds": time.perf_counter() - started,
        "rss_after_imports_mb": loaded_mb,
        "peak_rss_mb": _status_mb("VmHWM"),
        "failures": len(result.get("batchItemFailures", [])),
    }
    from stoppress.core import warm

    warm.reset()  # closes the sender's HTTP session
    conn.send(outcome)


def memory_probe(
    table_name: str,
    infos: Sequence[Mapping[str, Any]],
    record: Mapping[str, Any],
    members: int,
) -> dict[str, Any]:
    """One job over ``members`` subscribers of a topic of its own, sent by a fresh process.

    Its peak RSS is what Lambda reports as "Max Memory Used" for a send
    invocation: interpreter, boto3, aiohttp and the pages in flight. Run after
    the fan-out is counted (these subscribers get a second push).
    """
    from stoppress.contracts.jobs import PushJob
    from stoppress.contracts.keys import article_topic

    topic = article_topic(PROBE_ARTICLE)
    table = _moto_table(table_name)
    from boto3.dynamodb.types import TypeSerializer

    from stoppress.subscriptions.table import member_to_item

    serializer = TypeSerializer()
    now = datetime.now(UTC)
    for info in infos[:members]:
        item = member_to_item(_subscription(info, now), topic, 0)
        table.put_item({k: serializer.serialize(v) for k, v in item.items()})
    job = PushJob.from_message(record["body"])
    job = job.model_copy(update={"article_id": PROBE_ARTICLE, "topic": topic, "shard": 0})
    probe_record = {**record, "body": job.to_message(), "messageId": "memory-probe"}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_probe, args=(child, probe_record, 1769, 900.0), daemon=True)
    process.start()
    try:
        outcome: dict[str, Any] = parent.recv()
    finally:
        process.join(30)
    outcome["members"] = min(members, len(infos))
    return outcome


# -- the run ---------------------------------------------------------------------------


def _template_shards() -> int:
    from stoppress_dev import template as tpl

    return int(tpl.load_template()["Parameters"]["TopicShards"]["Default"])


def run(args: argparse.Namespace) -> dict[str, Any]:
    import logging

    import boto3

    from stoppress.aws import clients
    from stoppress_dev.http_front import SAMPLES
    from stoppress_dev.stack import LocalStack

    logging.getLogger("local-stack").setLevel(logging.WARNING)
    meter = SendMeter()
    queries = QueryMeter()
    captured: dict[str, Any] = {}

    class MeasuredStack(LocalStack):
        def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
            if function != "send":
                return super().invoke(function, event)
            captured.setdefault("record", dict(event["Records"][0]))
            return meter.around(lambda: super(MeasuredStack, self).invoke(function, event))

    # One sender process per invocation, as the template deploys it (PUSH_SENDER_PROCESSES
    # is not set there), so the query hooks below see every member page.
    stack = MeasuredStack(topic_shards=args.shards, env_overrides={"PUSH_SENDER_PROCESSES": "1"})
    state = stack.start()
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    simulator = ctx.Process(
        target=_simulator,
        args=(child, state.vapid_public_key, args.subscribers, args.latency_ms, args.decrypt_every),
        daemon=True,
    )
    try:
        t0 = time.perf_counter()
        simulator.start()
        infos = parent.recv()
        browsers_s = time.perf_counter() - t0
        print(f"{len(infos)} simulated browsers in {browsers_s:.1f} s", file=sys.stderr)
        # The stream poller has described the stream before seeding sets its shard aside.
        stack.wait_idle(timeout=60)
        if not args.stock_moto:
            index_moto_queries()
            share_seeded_partitions_in_backups()
        seed_s = (seed_api if args.seed_api else seed_direct)(state.table, infos, args.shards)
        print(f"{2 * len(infos)} items written in {seed_s:.1f} s", file=sys.stderr)
        t0 = time.perf_counter()
        stack.wait_idle(timeout=1800)
        settle_s = time.perf_counter() - t0
        print(f"stream drained in {settle_s:.1f} s", file=sys.stderr)

        queries.attach(clients.dynamodb())
        meter.start()
        s3 = boto3.client(
            "s3",
            endpoint_url=state.aws_endpoint_url,
            region_name=state.region,
            aws_access_key_id="editor",
            aws_secret_access_key="editor",
        )
        body = (SAMPLES / SAMPLE).read_bytes()
        uploaded_at = time.time()
        s3.put_object(Bucket=state.bucket, Key=ARTICLE_KEY, Body=body)
        deadline = time.monotonic() + args.timeout
        delivered = 0
        while time.monotonic() < deadline:
            parent.send("delivered")
            delivered = parent.recv()
            if delivered >= args.subscribers:
                break
            time.sleep(0.25)
        stack.wait_idle(timeout=max(30.0, deadline - time.monotonic()))
        done_at = time.time()
        meter.stop()
        parent.send("report")
        report = parent.recv()
        jobs = [s for s in stack.steps if s.kind == "jobs"]
        delivered_steps = [s for s in stack.steps if s.kind == "delivered"]
        errors = [s.text for s in stack.steps if s.kind == "error"]
        counts = delivered_steps[-1].details if delivered_steps else {}
        probe: dict[str, Any] = {}
        if args.probe_members and "record" in captured:
            print(f"memory probe: one job of {args.probe_members} members", file=sys.stderr)
            probe = memory_probe(state.table, infos, captured["record"], args.probe_members)
            parent.send("delivered")
            probe["delivered"] = parent.recv() - delivered
        parent.send("stop")
        parent.recv()
    finally:
        if simulator.is_alive():
            simulator.terminate()
        simulator.join(10)
        stack.stop()

    per_endpoint = {int(k): v for k, v in report["pushes_per_endpoint"].items()}
    duplicates = sum((k - 1) * v for k, v in per_endpoint.items() if k > 1)
    missing = per_endpoint.get(0, 0)
    first, last = report["first_at"], report["last_at"]
    n_jobs = sum(int(s.details.get("jobs", 0)) for s in jobs)
    fanout_s = (last - uploaded_at) if last else None
    members_per_job = args.subscribers / n_jobs if n_jobs else None
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
        },
        "setup_seconds": {
            "browsers": round(browsers_s, 1),
            "seed_items": 2 * args.subscribers,
            "seed": round(seed_s, 1),
            "stream_drain": round(settle_s, 1),
        },
        "upload_to_first_push_s": round(first - uploaded_at, 3) if first else None,
        "upload_to_last_push_s": round(fanout_s, 3) if fanout_s else None,
        "upload_to_idle_s": round(done_at - uploaded_at, 3),
        "jobs": n_jobs,
        "shards": args.shards,
        "members_per_job": round(members_per_job, 1) if members_per_job else None,
        "delivered": sum(k * v for k, v in per_endpoint.items()),
        "endpoints_with_pushes": per_endpoint,
        "duplicates": duplicates,
        "missing": missing,
        "delivery_counters": dict(counts),
        "decrypted_sample": report["decrypted"],
        "distinct_payloads": report["distinct_payloads"],
        "simulator_statuses": report["statuses"],
        "send_invocations": meter.invocations,
        "send_seconds": round(meter.seconds, 2),
        "send_job_p50_s": round(statistics.median(meter.durations), 3) if meter.durations else None,
        "send_job_max_s": round(max(meter.durations), 3) if meter.durations else None,
        "pushes_per_second_one_sender": round(args.subscribers / meter.seconds, 1)
        if meter.seconds
        else None,
        "sender_rss_baseline_mb": round(meter.baseline_mb or 0, 1),
        "sender_rss_peak_mb": round(meter.peak_mb, 1),
        "sender_rss_growth_mb": round(meter.growth_mb, 1),
        "sender_process": {k: round(v, 1) for k, v in probe.items()},
        "member_queries": queries.calls,
        "member_query_items": queries.items,
        "member_query_seconds": round(queries.seconds, 2),
        "member_query_ms_per_page": round(1000 * queries.seconds / queries.calls, 1)
        if queries.calls
        else None,
        "errors": errors[:20],
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
    for name, value in rows:
        table.add_row(name, value)
    Console().print(table)
    if result["errors"]:
        Console().print("[red]pipeline errors:[/red]", *result["errors"], sep="\n")


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
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    if args.shards is None:
        args.shards = _template_shards()
    if args.probe_members is None:
        args.probe_members = args.subscribers
    result = run(args)
    print_table(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = result["duplicates"] == 0 and result["missing"] == 0 and not result["errors"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Sender throughput: our send path next to a naive pywebpush loop, on the same subscribers.

    .venv/bin/python -m benchmarks.sender [--subscribers 10000] [--latencies 0,20]

A push-service simulator (``stoppress_dev.pushservice``) runs in its own
process with N simulated browsers; it verifies every VAPID token and decrypts
a sample of the messages (every ``--decrypt-every``-th) to prove they are
valid, and a few subscribers answer 410, 429 or 500 (``--mix``). For each
service latency, three senders run one after the other, each in a fresh
process (so peak RSS and CPU time are its own):

- ``naive``: a loop of pywebpush ``webpush()`` calls (one JWT signature and
  one new connection per message), on the first subscribers only when the
  latency makes it slow, and its rate is what we compare against;
- ``stoppress``: the SendFunction path from an SQS job body through
  ``PushJob.from_message`` and ``send_job`` with in-memory member pages
  (plain item dicts mapped to recipients, as the table adapter does), the
  shared aiohttp client and the cached VAPID header; no moto;
- ``encrypt only``: pywebpush's ``WebPusher.encode`` per message, the CPU
  floor of any correct sender (a fresh ECDH key per message), and next to it
  the leaner ``stoppress.webpush.encryption.encrypt`` the sender uses.

Prints a table and writes ``benchmarks/results/sender.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "sender.json"
SUBJECT = "mailto:bench@news.example"
ARTICLE_ID = "2026-harbour-storm-closes-ferries"


def sample_payload() -> dict[str, Any]:
    return {
        "web_push": 8030,
        "notification": {
            "title": "Storm closes the harbour: ferries cancelled until Friday",
            "body": (
                "Gusts of up to 120 km/h forced the port authority to halt all crossings on "
                "Tuesday evening. Travellers are asked to check the operator's site before "
                "setting out; the coastal road remains open to local traffic only."
            ),
            "navigate": f"https://news.example/articles/{ARTICLE_ID}",
            "tag": f"article-{ARTICLE_ID}",
            "timestamp": 1_795_737_600_000,
            "lang": "en",
        },
        "article": {"id": ARTICLE_ID, "version": 1, "change": "new"},
    }


# -- the simulator process -------------------------------------------------------------


def _simulator(
    conn: Any, public_key: str, subscribers: int, decrypt_every: int, mix: float
) -> None:
    from stoppress_dev.pushservice import PushService

    with PushService(
        vapid_public_key=public_key, decrypt_every=decrypt_every, record=False
    ) as service:
        infos = []
        for n in range(subscribers):
            sub = service.new_subscriber(f"b{n}")
            # A few subscribers that are gone, throttled or broken, spread evenly.
            if mix and n % int(1 / mix) == 1:
                sub.respond_with(410)
            elif mix and n % int(1 / mix) == 2:
                sub.respond_with(429, retry_after=30)
            elif mix and n % int(1 / mix) == 3:
                sub.respond_with(500)
            infos.append(sub.subscription_info())
        conn.send(infos)
        while True:
            command, arg = conn.recv()
            if command == "latency":
                service.latency_ms = arg
                service.reset_counters()
                conn.send(None)
            elif command == "counts":
                conn.send(service.status_counts())
            elif command == "stop":
                conn.send(None)
                return


# -- sender phases (each in a fresh process) -------------------------------------------


@dataclass
class PhaseResult:
    method: str
    latency_ms: float
    messages: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[int(q) - 1]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _naive(infos: Sequence[Mapping[str, Any]], private_key: str, latency_ms: float) -> PhaseResult:
    from pywebpush import WebPushException, webpush

    data = json.dumps(sample_payload())
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        start = time.perf_counter()
        try:
            response = webpush(
                dict(info),
                data,
                vapid_private_key=private_key,
                vapid_claims={"sub": SUBJECT},
                ttl=86400,
                headers={"Urgency": "high", "Topic": "bench"},
                timeout=10,
            )
            status = str(response.status_code)
        except WebPushException as e:
            status = str(e.response.status_code) if e.response is not None else "error"
        latencies.append((time.perf_counter() - start) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    return PhaseResult(
        "naive webpush()",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        _peak_rss_mb(),
        latencies,
        statuses,
    )


class _MemoryMembers:
    """Pages of member items, mapped to recipients the way the table adapter does."""

    def __init__(self, items: list[dict[str, str]]) -> None:
        self._items = sorted(items, key=lambda i: i["sub_id"])
        self.deleted: list[str] = []

    def members(
        self, topic: str, shard: int, *, page_size: int, start_after: str | None = None
    ) -> Iterator[list[Any]]:
        from stoppress.subscriptions.table import member_from_item

        items = self._items
        if start_after is not None:
            items = [i for i in items if i["sub_id"] > start_after]
        for i in range(0, len(items), page_size):
            yield [member_from_item(item) for item in items[i : i + page_size]]

    def delete(self, sub_id: str) -> bool:
        self.deleted.append(sub_id)
        return True


class _NoClaims:
    def claim(self, job: Any, key: str) -> Any:
        from stoppress.send.service import Claim

        return Claim()

    def checkpoint(self, job: Any, key: str, cursor: str) -> None:
        pass

    def complete(self, job: Any, key: str) -> None:
        pass

    def release(self, job: Any, key: str) -> None:
        pass


class _MemoryQueue:
    def __init__(self) -> None:
        self.jobs: list[Any] = []

    def enqueue(self, jobs: Sequence[Any], *, delay_seconds: int | None = None) -> int:
        self.jobs.extend(jobs)
        return len(jobs)


class _MemoryStats:
    def add(self, article_id: str, version: int, **counts: Any) -> None:
        pass


class _TimedClient:
    """Wraps the real client to record each request's latency and answer."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Any:
        start = time.perf_counter()
        response = await self.inner.post(url, body, headers)
        self.latencies.append((time.perf_counter() - start) * 1000)
        key = str(response.status or response.error)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        return response


def _ours(
    infos: Sequence[Mapping[str, Any]],
    private_key: str,
    latency_ms: float,
    max_in_flight: int,
    page_size: int,
    processes: int,
) -> PhaseResult:
    import tempfile

    from stoppress.contracts.jobs import PushJob
    from stoppress.contracts.keys import subscription_id
    from stoppress.core.settings import PushEndpointSettings
    from stoppress.send.parallel import send_in_parts
    from stoppress.send.push_http import AiohttpPushClient
    from stoppress.send.service import DeliveryReport, SendOptions, SendPart, send_job
    from stoppress.webpush.headers import topic_header
    from stoppress.webpush.vapid import VapidAuthorizer

    items = [
        {
            "sub_id": subscription_id(info["endpoint"]),
            "endpoint": info["endpoint"],
            "p256dh": info["keys"]["p256dh"],
            "auth": info["keys"]["auth"],
        }
        for info in infos
    ]
    # The SQS message body exactly as NotifyFunction enqueues it.
    body = PushJob(
        article_id=ARTICLE_ID,
        version=1,
        topic="all",
        shard=0,
        payload=sample_payload(),
        urgency="high",
        ttl=86400,
        topic_header=topic_header(ARTICLE_ID),
    ).to_message()
    members = _MemoryMembers(items)
    options = SendOptions(
        max_in_flight=max_in_flight,
        page_size=page_size,
        endpoint_settings=PushEndpointSettings(allow_loopback_endpoints=True),
    )
    samples = Path(tempfile.mkdtemp(prefix="sender-bench-"))

    def send_part(job: PushJob, part: SendPart) -> DeliveryReport:
        # What SendFunction does per part (in a forked process when there are several).
        async def run() -> DeliveryReport:
            client = _TimedClient(
                AiohttpPushClient(max_in_flight=max_in_flight, timeout_seconds=10)
            )
            try:
                return await send_job(
                    job,
                    client=client,
                    vapid=VapidAuthorizer(private_key, SUBJECT),
                    members=members,
                    claims=_NoClaims(),
                    queue=_MemoryQueue(),
                    stats=_MemoryStats(),
                    options=options,
                    part=part,
                )
            finally:
                await client.inner.close()
                (samples / f"{part.index}.json").write_text(
                    json.dumps({"latencies": client.latencies, "statuses": client.statuses})
                )

        loop = asyncio.new_event_loop()
        try:
            return loop.run_until_complete(run())
        finally:
            loop.close()

    children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, t0 = time.process_time(), time.perf_counter()
    report = send_in_parts(PushJob.from_message(body), processes, send_part)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (children.ru_utime - children0.ru_utime) + (children.ru_stime - children0.ru_stime)
    assert report.sent + report.expired + report.failed + report.retried == len(infos), report
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    for sample in samples.glob("*.json"):
        data = json.loads(sample.read_text())
        latencies += data["latencies"]
        for status, n in data["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
        sample.unlink()
    samples.rmdir()
    peak = max(_peak_rss_mb(), children.ru_maxrss / 1024)
    name = "stoppress send_job" + (f" ({processes} processes)" if processes > 1 else "")
    return PhaseResult(name, latency_ms, len(infos), seconds, cpu, peak, latencies, statuses)


def _encrypt_only(infos: Sequence[Mapping[str, Any]], latency_ms: float) -> PhaseResult:
    from pywebpush import WebPusher

    data = json.dumps(sample_payload()).encode()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        WebPusher(info).encode(data, "aes128gcm")
    return PhaseResult(
        "encrypt only (pywebpush encode)",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        _peak_rss_mb(),
    )


def _our_encrypt_only(infos: Sequence[Mapping[str, Any]], latency_ms: float) -> PhaseResult:
    from stoppress.webpush.encryption import encrypt

    data = json.dumps(sample_payload()).encode()
    cpu0, t0 = time.process_time(), time.perf_counter()
    for info in infos:
        encrypt(data, info["keys"]["p256dh"], info["keys"]["auth"])
    return PhaseResult(
        "encrypt only (stoppress encrypt)",
        latency_ms,
        len(infos),
        time.perf_counter() - t0,
        time.process_time() - cpu0,
        _peak_rss_mb(),
    )


def _phase_main(conn: Any, name: str, args: tuple[Any, ...]) -> None:
    phases: dict[str, Callable[..., PhaseResult]] = {
        "naive": _naive,
        "ours": _ours,
        "encrypt": _encrypt_only,
        "our-encrypt": _our_encrypt_only,
    }
    conn.send(asdict(phases[name](*args)))


def run_phase(ctx: Any, name: str, *args: Any) -> PhaseResult:
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_phase_main, args=(child, name, args))
    process.start()
    result = parent.recv()
    process.join()
    latencies = result.pop("latencies_ms")
    return PhaseResult(**result, latencies_ms=latencies)


# -- the run -------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--latencies", default="0,20", help="service latencies in ms")
    parser.add_argument("--naive-budget", type=float, default=4.0, help="seconds per naive run")
    parser.add_argument("--max-in-flight", type=int, default=128)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="also run the sender split over this many processes (a Lambda with that many vCPUs)",
    )
    parser.add_argument("--decrypt-every", type=int, default=50)
    parser.add_argument("--mix", type=float, default=0.01, help="share of 410, 429, 500 each")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    latencies = [float(x) for x in args.latencies.split(",")]

    from stoppress_dev.vapid import generate_vapid_keys

    private_key, public_key = generate_vapid_keys()
    # Other work on the machine takes CPU from the CPU-bound senders, not from the
    # naive loop (which mostly waits): the load average says how much to trust a run.
    load_before = os.getloadavg()
    ctx = mp.get_context("spawn")
    sim_conn, sim_child = ctx.Pipe()
    simulator = ctx.Process(
        target=_simulator,
        args=(sim_child, public_key, args.subscribers, args.decrypt_every, args.mix),
        daemon=True,
    )
    simulator.start()
    infos = sim_conn.recv()

    rows: list[dict[str, Any]] = []
    try:
        for latency in latencies:
            sim_conn.send(("latency", latency))
            sim_conn.recv()
            # Naive: as many messages as fit in the budget, at the rate measured on a few.
            probe = run_phase(ctx, "naive", infos[:20], private_key, latency)
            naive_n = max(20, min(len(infos), int(probe.rate * args.naive_budget)))
            naive = run_phase(ctx, "naive", infos[:naive_n], private_key, latency)
            ours = [
                run_phase(
                    ctx,
                    "ours",
                    infos,
                    private_key,
                    latency,
                    args.max_in_flight,
                    args.page_size,
                    processes,
                )
                for processes in sorted({1, args.processes})
            ]
            our_encrypt = run_phase(ctx, "our-encrypt", infos, latency)
            encrypt = run_phase(ctx, "encrypt", infos, latency)
            sim_conn.send(("counts", None))
            service_counts = sim_conn.recv()
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
                        "cpu_seconds_per_1000": round(
                            result.cpu_seconds / result.messages * 1000, 4
                        ),
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
    finally:
        sim_conn.send(("stop", None))
        sim_conn.recv()
        simulator.join(5)

    load_after = os.getloadavg()
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
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": "python -m benchmarks.sender " + " ".join(argv or sys.argv[1:]),
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
    print(
        f"load average before/after: {load_before[0]:.2f}/{load_after[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

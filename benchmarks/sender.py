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
import multiprocessing as mp
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import sender_naive, sender_ours
from benchmarks.push_service_process import PushServiceProcess
from benchmarks.sender_phase import run_phase
from benchmarks.sender_report import latency_rows, print_rows, write_results

RESULTS = Path(__file__).resolve().parent / "results" / "sender.json"


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
    service = PushServiceProcess(
        ctx, public_key, args.subscribers, decrypt_every=args.decrypt_every, mix=args.mix
    )
    infos = service.start()

    rows: list[dict[str, Any]] = []
    try:
        for latency in latencies:
            service.set_latency(latency)
            # Naive: as many messages as fit in the budget, at the rate measured on a few.
            probe = run_phase(ctx, sender_naive.naive, infos[:20], private_key, latency)
            naive_n = max(20, min(len(infos), int(probe.rate * args.naive_budget)))
            naive = run_phase(ctx, sender_naive.naive, infos[:naive_n], private_key, latency)
            ours = [
                run_phase(
                    ctx,
                    sender_ours.ours,
                    infos,
                    private_key,
                    latency,
                    args.max_in_flight,
                    args.page_size,
                    processes,
                )
                for processes in sorted({1, args.processes})
            ]
            our_encrypt = run_phase(ctx, sender_ours.our_encrypt_only, infos, latency)
            encrypt = run_phase(ctx, sender_naive.encrypt_only, infos, latency)
            rows += latency_rows(
                latency, naive, ours, our_encrypt, encrypt, service.status_counts()
            )
    finally:
        service.stop()
        service.close(5)

    load_after = os.getloadavg()
    print_rows(rows)
    write_results(args.output, argv or sys.argv[1:], args, rows, load_before, load_after)
    print(
        f"load average before/after: {load_before[0]:.2f}/{load_after[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

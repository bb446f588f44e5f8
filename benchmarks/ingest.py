"""Ingest figures: cold import cost of the handler, and articles per second through it on moto.

    .venv/bin/python -m benchmarks.ingest [--count 1000] [--repeat 9] [--no-imports]

1. Cold import: ``import functions.ingest.app`` in fresh interpreters (median
   wall time over ``--repeat`` runs), next to ``import boto3`` alone, which
   every Python Lambda pays anyway; then one ``python -X importtime`` run for
   its total and the five top-level imports that cost the most. This runs in
   the development environment (Python 3.11, every dev dependency installed);
   ``python -m benchmarks.coldstart`` measures the built functions in a clean
   Python 3.13 runtime, as Lambda runs them.
2. Throughput: ``--count`` distinct articles (default 1,000) uploaded to a moto bucket, then
   handed to ``lambda_handler`` one S3 event each, as Lambda would; then an
   update of each (a new version judged against the previous one), then the
   same update events redelivered (no new version). moto runs in-process, so
   the figures measure our code plus moto's, not DynamoDB's latency.

Results print as a table and go to ``benchmarks/results/ingest.json``.
"""

import argparse
import contextlib
import io
import os
import statistics
import time
from pathlib import Path
from typing import Any

from benchmarks.moto_shortcuts import put_only_transaction_backups
from benchmarks.results import write_results
from stoppress_dev.cold_imports import import_self_us, import_wall_ms, loaded_modules_after_import

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samplecontent" / "nato-resumes-contacts.txt"
TABLE = "stoppress-bench"
BUCKET = "stoppress-bench-articles"
PYTHONPATH = (ROOT / "layers" / "common", ROOT)
# Modules ingest must never pull in (they belong to the send path only).
SEND_PATH_MODULES = ("pywebpush", "aiohttp", "http_ece", "yaml", "selectolax")


def _wall_import(module: str, repeat: int) -> dict[str, float]:
    """Milliseconds to import ``module`` in fresh interpreters: fastest and median run.

    The fastest run is the cost itself; the median shows how much a busy
    machine adds.
    """
    runs = [import_wall_ms(module, PYTHONPATH, cwd=ROOT) for _ in range(repeat)]
    return {"min_ms": round(min(runs), 1), "median_ms": round(statistics.median(runs), 1)}


def _importtime(module: str) -> dict[str, Any]:
    """Total import time, and the packages that cost the most (self time summed per package)."""
    per_package: dict[str, int] = {}
    for name, self_us in import_self_us(module, PYTHONPATH, cwd=ROOT).items():
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0) + self_us
    ranked = sorted(per_package.items(), key=lambda kv: kv[1], reverse=True)[:5]
    return {
        "total_ms": round(sum(per_package.values()) / 1000, 1),
        "top": [{"package": p, "self_ms": round(us / 1000, 1)} for p, us in ranked],
    }


def measure_imports(repeat: int) -> dict[str, Any]:
    handler = "functions.ingest.app"
    return {
        "handler_wall": _wall_import(handler, repeat),
        "boto3_wall": _wall_import("boto3", repeat),
        "handler_importtime": _importtime(handler),
        "boto3_importtime_total_ms": _importtime("boto3")["total_ms"],
        "heavy_modules_loaded": loaded_modules_after_import(
            handler, SEND_PATH_MODULES, PYTHONPATH, cwd=ROOT
        ),
    }


def _article(i: int, update: bool) -> bytes:
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("NATO Will Resume Top-Level Contacts", f"Story {i}: NATO Resumes Contacts")
    if update:
        text = text.rstrip() + (
            f"\n\nUpdate {i}: Russia's foreign ministry said it welcomed the decision "
            "and would send a delegation to Brussels next week.\n"
        )
    return text.encode("utf-8")


def _run_phase(name: str, events: list[dict[str, Any]], handler: Any, context: Any) -> dict:
    latencies = []
    statuses: dict[str, int] = {}
    sink = io.StringIO()
    started = time.perf_counter()
    for event in events:
        t = time.perf_counter()
        with contextlib.redirect_stdout(sink):  # the metrics flush prints EMF JSON
            result = handler(event, context)
        latencies.append((time.perf_counter() - t) * 1000)
        for outcome in result["outcomes"]:
            statuses[outcome["status"]] = statuses.get(outcome["status"], 0) + 1
        sink.seek(0)
        sink.truncate()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "phase": name,
        "uploads": len(events),
        "seconds": round(elapsed, 3),
        "articles_per_second": round(len(events) / elapsed, 1),
        "p50_ms": round(latencies[len(latencies) // 2], 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 2),
        "statuses": statuses,
    }


def measure_throughput(count: int, *, stock_moto: bool = False) -> list[dict[str, Any]]:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "TABLE_NAME": TABLE,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.pop("AWS_PROFILE", None)

    import boto3
    from moto import mock_aws

    from functions.ingest.app import lambda_handler
    from stoppress.aws import clients
    from stoppress.core import warm
    from stoppress_dev.template import create_table_kwargs
    from tests.integration.s3_events import LambdaContext, put, s3_event

    with mock_aws(), contextlib.nullcontext() if stock_moto else put_only_transaction_backups():
        warm.reset()
        boto3.client("dynamodb").create_table(**create_table_kwargs(TABLE))
        s3 = clients.s3()
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        context = LambdaContext()

        keys = [f"articles/bench/story {i}.txt" for i in range(count)]
        new = [s3_event(put(s3, BUCKET, key, _article(i, False))) for i, key in enumerate(keys)]
        phases = [_run_phase("new articles", new, lambda_handler, context)]
        updates = [s3_event(put(s3, BUCKET, key, _article(i, True))) for i, key in enumerate(keys)]
        phases.append(_run_phase("updates", updates, lambda_handler, context))
        phases.append(_run_phase("redelivered", updates, lambda_handler, context))
    return phases


def _print(imports: dict[str, Any], phases: list[dict[str, Any]]) -> None:
    if imports:
        _print_imports(imports)
    header = (
        f"{'phase':<16}{'uploads':>8}{'seconds':>9}{'articles/s':>12}{'p50 ms':>9}{'p95 ms':>9}"
    )
    print("Throughput through lambda_handler on moto (one S3 event per upload)")
    print(header)
    for p in phases:
        print(
            f"{p['phase']:<16}{p['uploads']:>8}{p['seconds']:>9.2f}"
            f"{p['articles_per_second']:>12.1f}{p['p50_ms']:>9.2f}{p['p95_ms']:>9.2f}"
            f"   {p['statuses']}"
        )


def _print_imports(imports: dict[str, Any]) -> None:
    it = imports["handler_importtime"]
    print("Cold import, fresh interpreters (fastest / median wall time)")
    for label, wall in (
        ("import functions.ingest.app  ", imports["handler_wall"]),
        ("import boto3 alone           ", imports["boto3_wall"]),
    ):
        print(f"  {label}{wall['min_ms']:9.1f} / {wall['median_ms']:.1f} ms")
    print(f"  -X importtime total (handler) {it['total_ms']:8.1f} ms")
    print(f"  -X importtime total (boto3)   {imports['boto3_importtime_total_ms']:8.1f} ms")
    print("  costliest packages (-X importtime self time, summed per package):")
    for row in it["top"]:
        print(f"    {row['package']:<28}{row['self_ms']:8.1f} ms")
    print(f"  send-path modules loaded: {', '.join(imports['heavy_modules_loaded']) or 'none'}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="uploads per phase")
    parser.add_argument("--repeat", type=int, default=9, help="fresh interpreters per import")
    parser.add_argument(
        "--no-imports", action="store_true", help="throughput only, no cold import figures"
    )
    parser.add_argument(
        "--stock-moto",
        action="store_true",
        help="keep moto's whole-table deep copy per transaction (slow, quadratic)",
    )
    args = parser.parse_args(argv)

    imports = {} if args.no_imports else measure_imports(args.repeat)
    phases = measure_throughput(args.count, stock_moto=args.stock_moto)
    _print(imports, phases)

    path = write_results(
        "ingest",
        {
            "count": args.count,
            "moto_transaction_snapshot": "stock deepcopy" if args.stock_moto else "item maps",
            "imports": imports,
            "throughput": phases,
        },
    )
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

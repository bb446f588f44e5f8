"""Cold import of each built handler in a clean Python 3.13, next to a bare ``import boto3``.

    .venv/bin/python -m benchmarks.coldstart [--runs 7] [--build | --skip-build]

What Lambda pays before a function's first invocation, measured the way
``make sam-check`` does it (stoppress_dev.samcheck): ``sam build`` output, a
Python 3.13 virtualenv holding only boto3 (precompiled, as the runtime's is),
PYTHONPATH = the built function + the built layer's ``python/``, no .pyc written,
a fresh process per import. Runs interleave (boto3, then each function, then
again) so load on the machine moves baseline and functions alike; each figure
is the median of ``--runs``. The budget is the allowed time above the baseline
(ingest and subscribe +150 ms, send +500 ms).

``sam build --cached`` runs first when a source under layers/common, functions/
or template.yaml is newer than the build (``--build`` always, ``--skip-build``
never). Prints a table and writes ``benchmarks/results/coldstart.json``.
"""

import argparse
import json
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stoppress_dev import samcheck

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "coldstart.json"
BUILT_TEMPLATE = samcheck.BUILD_DIR / "template.yaml"
SOURCES = (ROOT / "layers" / "common", ROOT / "functions", ROOT / "template.yaml")


def build_is_stale() -> bool:
    if not BUILT_TEMPLATE.exists():
        return True
    built = BUILT_TEMPLATE.stat().st_mtime
    for source in SOURCES:
        paths = [source] if source.is_file() else source.rglob("*")
        for path in paths:
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_mtime > built:
                return True
    return False


def measure(runs: int) -> dict[str, Any]:
    python = samcheck.runtime_python()
    local_env = samcheck.load_local_env()
    functions = [fn for fn in samcheck.template_functions() if fn.build_dir.is_dir()]
    baseline: list[float] = []
    imports: dict[str, list[float]] = {fn.logical_id: [] for fn in functions}
    loaded: dict[str, list[str]] = {}
    for _ in range(runs):
        baseline.append(
            samcheck.run_in_runtime(
                python, {"mode": "boto3"}, samcheck._runtime_env(None, {}), ROOT, 60
            )["import_ms"]
        )
        for fn in functions:
            env = samcheck._runtime_env(fn, local_env.get(fn.logical_id, {}))
            result = samcheck.run_in_runtime(
                python, {"mode": "handler", "handler": fn.handler}, env, fn.build_dir, 120
            )
            imports[fn.logical_id].append(result["import_ms"])
            loaded[fn.logical_id] = result["loaded"]
    boto3_ms = statistics.median(baseline)
    rows = []
    for fn in functions:
        import_ms = statistics.median(imports[fn.logical_id])
        budget = samcheck.IMPORT_BUDGET_MS.get(fn.logical_id)
        delta = import_ms - boto3_ms
        rows.append(
            {
                "function": fn.logical_id,
                "import_ms": round(import_ms, 1),
                "boto3_ms": round(boto3_ms, 1),
                "delta_ms": round(delta, 1),
                "budget_ms": budget,
                "ok": None if budget is None else delta <= budget,
                "runs_ms": [round(v, 1) for v in imports[fn.logical_id]],
                "push_stack_loaded": loaded[fn.logical_id],
            }
        )
    return {"boto3_runs_ms": [round(v, 1) for v in baseline], "functions": rows}


def layer_size_mb() -> float:
    layer = samcheck.BUILD_DIR / "CommonLayer"
    size = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file() and not p.is_symlink())
    return round(size / 1_000_000, 1)


def print_table(result: dict[str, Any]) -> None:
    headers = ("function", "import ms", "bare boto3 ms", "delta ms", "budget ms", "ok")
    rows = [
        (
            r["function"],
            f"{r['import_ms']:.0f}",
            f"{r['boto3_ms']:.0f}",
            f"{r['delta_ms']:+.0f}",
            "-" if r["budget_ms"] is None else f"+{r['budget_ms']}",
            "-" if r["ok"] is None else ("yes" if r["ok"] else "NO"),
        )
        for r in result["functions"]
    ]
    widths = [max(len(row[i]) for row in (headers, *rows)) for i in range(len(headers))]
    for row in (headers, tuple("-" * w for w in widths), *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(
        f"(median of {result['runs']} fresh Python {result['runtime']} processes each, "
        "interleaved; "
        f"layer {result['layer_mb']} MB unzipped)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coldstart", description=__doc__)
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per figure (>= 5)")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--build", action="store_true", help="sam build even if it looks fresh")
    when.add_argument("--skip-build", action="store_true", help="use .aws-sam/build as it is")
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    try:
        if args.build or (not args.skip_build and build_is_stale()):
            samcheck.sam_validate_and_build(cached=True)
        result = measure(args.runs)
    except samcheck.CheckError as e:
        print(f"coldstart: {e}", file=sys.stderr)
        return 1
    result.update(
        {
            "runs": args.runs,
            "runtime": "3.13",
            "layer_mb": layer_size_mb(),
            "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}",
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": "python -m benchmarks.coldstart",
        }
    )
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0 if all(r["ok"] is not False for r in result["functions"]) else 1


if __name__ == "__main__":
    sys.exit(main())

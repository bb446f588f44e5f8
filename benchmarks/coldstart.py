"""Cold import of each built handler in a clean Python 3.13, next to a bare ``import boto3``.

    .venv/bin/python -m benchmarks.coldstart [--runs 7] [--build | --skip-build]

What Lambda pays before a function's first invocation, measured the way
``make sam-check`` does it (stoppress_dev.samcheck): ``sam build`` output, a
Python 3.13 virtualenv holding only boto3 (precompiled, as the runtime's is),
PYTHONPATH = the built function + the built layer's ``python/``, no .pyc written,
a fresh process per import. Runs interleave (boto3, then each function, then
again) so load on the machine moves baseline and functions alike; each figure
is the median of ``--runs``. The budget is the allowed time above the baseline
(ingest and subscribe +150 ms, send +500 ms). "cpu delta" is the same difference
in CPU time, which a busy machine inflates less than wall time.

The "floor" rows import only third-party packages from the built layer (pydantic,
Powertools' Logger and Metrics, and the Powertools modules a handler needs): what
any handler built on them pays before a line of stoppress runs.

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


# Third-party imports every handler (or some) cannot avoid, measured alone with the
# built layer: how much of each function's time is ours and how much is the floor.
FLOORS = {
    "floor: pydantic BaseModel + Powertools Logger/Metrics": [
        "pydantic.main",
        "pydantic.fields",
        "aws_lambda_powertools",
    ],
    "floor + Powertools data_classes (ingest, notify)": [
        "pydantic.main",
        "pydantic.fields",
        "aws_lambda_powertools",
        "aws_lambda_powertools.utilities.data_classes",
    ],
    "floor + Powertools event_handler (subscribe)": [
        "pydantic.main",
        "pydantic.fields",
        "aws_lambda_powertools",
        "aws_lambda_powertools.event_handler",
    ],
}


def measure(runs: int) -> dict[str, Any]:
    python = samcheck.runtime_python()
    local_env = samcheck.load_local_env()
    functions = [fn for fn in samcheck.template_functions() if fn.build_dir.is_dir()]
    layer_env = {
        **samcheck.runtime_env(),
        "PYTHONPATH": ":".join(str(p) for p in samcheck.layer_dirs()),
    }
    # (name, request, env, working directory, budget)
    probes: list[tuple[str, dict[str, Any], dict[str, str], Path, int | None]] = [
        ("boto3", {"mode": "boto3"}, samcheck.runtime_env(), ROOT, None)
    ]
    for fn in functions:
        env = samcheck.runtime_env(fn, local_env.get(fn.logical_id, {}))
        request: dict[str, Any] = {"mode": "handler", "handler": fn.handler}
        budget = samcheck.IMPORT_BUDGET_MS.get(fn.logical_id)
        probes.append((fn.logical_id, request, env, fn.build_dir, budget))
    for name, modules in FLOORS.items():
        request = {"mode": "modules", "modules": ["boto3", *modules]}
        probes.append((name, request, layer_env, ROOT, None))

    wall: dict[str, list[float]] = {name: [] for name, *_ in probes}
    cpu: dict[str, list[float]] = {name: [] for name, *_ in probes}
    loaded: dict[str, list[str]] = {}
    for _ in range(runs):
        for name, request, env, cwd, _budget in probes:
            result = samcheck.run_in_runtime(python, request, env, cwd, 120)
            wall[name].append(result["import_ms"])
            cpu[name].append(result["import_cpu_ms"])
            loaded[name] = result.get("loaded", [])
    boto3_ms = statistics.median(wall["boto3"])
    boto3_cpu_ms = statistics.median(cpu["boto3"])
    rows = []
    for name, _request, _env, _cwd, budget in probes[1:]:
        import_ms = statistics.median(wall[name])
        delta = import_ms - boto3_ms
        rows.append(
            {
                "function": name,
                "import_ms": round(import_ms, 1),
                "boto3_ms": round(boto3_ms, 1),
                "delta_ms": round(delta, 1),
                "cpu_delta_ms": round(statistics.median(cpu[name]) - boto3_cpu_ms, 1),
                "budget_ms": budget,
                "ok": None if budget is None else delta <= budget,
                "runs_ms": [round(v, 1) for v in wall[name]],
                "push_stack_loaded": loaded[name],
            }
        )
    return {
        "boto3_runs_ms": [round(v, 1) for v in wall["boto3"]],
        "boto3_cpu_ms": round(boto3_cpu_ms, 1),
        "functions": rows,
    }


def layer_size_mb() -> float:
    layer = samcheck.BUILD_DIR / "CommonLayer"
    size = sum(p.stat().st_size for p in layer.rglob("*") if p.is_file() and not p.is_symlink())
    return round(size / 1_000_000, 1)


def print_table(result: dict[str, Any]) -> None:
    headers = (
        "function",
        "import ms",
        "bare boto3 ms",
        "delta ms",
        "cpu delta ms",
        "budget ms",
        "ok",
    )
    rows = [
        (
            r["function"],
            f"{r['import_ms']:.0f}",
            f"{r['boto3_ms']:.0f}",
            f"{r['delta_ms']:+.0f}",
            f"{r['cpu_delta_ms']:+.0f}",
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

"""Cold import time of each built handler next to a bare ``import boto3``, what it
loads, and where the time goes (``python -X importtime``).
"""

from __future__ import annotations

import statistics
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.samcheck.functions import Function
from stoppress_dev.samcheck.runtime import run_in_runtime, runtime_env
from stoppress_dev.template import PROJECT_ROOT

IMPORT_RUNS = 5
# Cold import budgets above a bare `import boto3` in the same runtime.
IMPORT_BUDGET_MS = {"IngestFunction": 150, "SubscribeFunction": 150, "SendFunction": 500}
# What a function imports only when the first event of a kind arrives, and the budget
# above a bare `import boto3` for the cold start plus that first event's imports.
FIRST_USE_IMPORTS: dict[str, tuple[str, tuple[str, ...], int]] = {
    "IngestFunction": (
        "first HTML file",
        ("stoppress.articles.htmlpage", "selectolax.lexbor", "trafilatura"),
        300,
    ),
}
# Functions that must stay clear of the push stack at cold start.
LIGHT_FUNCTIONS = ("IngestFunction", "SubscribeFunction", "NotifyFunction", "AudienceFunction")
# Standard modules Lambda's runtime client has imported before the handler (lambda_runner).
PRELOADED = "decimal, http.client, importlib, json, logging, traceback, uuid, warnings"
PROFILE_MARK = "-- handler import --"


def measure_imports(
    python: Path, functions: Sequence[Function], local_env: Mapping[str, Mapping[str, str]]
) -> float:
    """Median cold import per function (fresh process each run); returns the boto3 baseline.

    The runs interleave (boto3, then each function, then again), so a machine that
    gets busier or quieter while the check runs moves the baseline and the
    functions alike.
    """
    baseline_runs: list[float] = []
    runs: dict[str, list[dict[str, Any]]] = {fn.logical_id: [] for fn in functions}
    first_use: dict[str, list[float]] = {fn.logical_id: [] for fn in functions}
    measured = [fn for fn in functions if fn.build_dir.is_dir()]
    for fn in functions:
        if not fn.build_dir.is_dir():
            fn.problems.append(f"no build output at {fn.build_dir}")
    for _ in range(IMPORT_RUNS):
        baseline_runs.append(
            run_in_runtime(python, {"mode": "boto3"}, runtime_env(), PROJECT_ROOT, 60)["import_ms"]
        )
        for fn in list(measured):
            request = {"mode": "handler", "handler": fn.handler}
            env = runtime_env(fn, local_env.get(fn.logical_id, {}))
            try:
                runs[fn.logical_id].append(run_in_runtime(python, request, env, fn.build_dir, 120))
                if fn.logical_id in FIRST_USE_IMPORTS:
                    _, modules, _ = FIRST_USE_IMPORTS[fn.logical_id]
                    first = {
                        "mode": "modules",
                        "modules": [fn.handler.rpartition(".")[0], *modules],
                    }
                    first_use[fn.logical_id].append(
                        run_in_runtime(python, first, env, fn.build_dir, 120)["import_ms"]
                    )
            except CheckError as e:
                fn.problems.append(f"import failed: {e}")
                measured.remove(fn)
    for fn in measured:
        fn.import_ms = statistics.median(r["import_ms"] for r in runs[fn.logical_id])
        fn.loaded = runs[fn.logical_id][0]["loaded"]
        if first_use[fn.logical_id]:
            fn.first_use_ms = statistics.median(first_use[fn.logical_id])
        if fn.logical_id in LIGHT_FUNCTIONS and fn.loaded:
            fn.problems.append(f"imports {', '.join(fn.loaded)} at cold start")
    return statistics.median(baseline_runs)


def import_profile(
    python: Path, fn: Function, env: Mapping[str, str], top: int = 8
) -> list[tuple[str, float]]:
    """Where a cold import spends its time: self time per top-level package (-X importtime)."""
    module = fn.handler.rpartition(".")[0]
    # What the runtime has loaded before the handler (see lambda_runner) is not counted.
    code = f"import {PRELOADED}, sys; sys.stderr.write('{PROFILE_MARK}\\n'); import {module}"
    done = subprocess.run(  # noqa: S603
        [str(python), "-s", "-X", "importtime", "-c", code],
        cwd=fn.build_dir,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    per_package: dict[str, float] = {}
    lines = done.stderr.splitlines()
    if PROFILE_MARK in lines:
        lines = lines[lines.index(PROFILE_MARK) + 1 :]
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        self_us, _, name = (part.strip() for part in line[len("import time:") :].split("|"))
        if not self_us.isdigit():
            continue  # the header line
        package = name.split(".")[0]
        per_package[package] = per_package.get(package, 0.0) + int(self_us) / 1000
    return sorted(per_package.items(), key=lambda item: item[1], reverse=True)[:top]


def print_import_profiles(
    python: Path, functions: Sequence[Function], local_env: Mapping[str, Mapping[str, str]]
) -> None:
    for fn in functions:
        if fn.import_ms is None:
            continue
        profile = import_profile(python, fn, runtime_env(fn, local_env.get(fn.logical_id, {})))
        print(
            f"{fn.logical_id} import time by package: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in profile),
            flush=True,
        )

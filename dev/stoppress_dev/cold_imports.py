"""What importing a module costs and loads, each asked of a fresh interpreter.

A fresh interpreter per question, so nothing an earlier import loaded hides a
module or lowers a time. Used by the tests (what a handler import must not
load) and the benchmarks (what it costs). The built handlers inside a
runtime-like Python are measured by ``lambda_runner`` instead, which may use
the standard library only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path


def run_fresh_python(
    args: list[str],
    pythonpath: Iterable[Path | str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
    bytecode: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``python *args`` in this interpreter's environment, with ``pythonpath`` and ``env`` set.

    With ``bytecode`` (for timings) compiled modules are written and reused, as
    the Lambda runtime imports precompiled modules.
    """
    full_env = {
        **os.environ,
        **(env or {}),
        "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath),
    }
    if bytecode:
        full_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(  # noqa: S603 - this interpreter, arguments from our own code
        [sys.executable, *args],
        capture_output=True,
        text=True,
        check=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def loaded_modules_after_import(
    module: str,
    candidates: Iterable[str],
    pythonpath: Iterable[Path | str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    timeout: float | None = None,
) -> list[str]:
    """Which of ``candidates`` are in ``sys.modules`` once ``module`` is imported, in order."""
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        f"print(json.dumps([m for m in {list(candidates)!r} if m in sys.modules]))\n"
    )
    done = run_fresh_python(
        ["-c", code], pythonpath, env=env, cwd=cwd, timeout=timeout, bytecode=False
    )
    # The last line: importing may print.
    loaded: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def import_wall_ms(
    module: str, pythonpath: Iterable[Path | str], *, cwd: Path | str | None = None
) -> float:
    """Milliseconds ``import module`` takes, timed inside the fresh interpreter."""
    code = (
        "import time; t = time.perf_counter(); "
        f"import {module}; print((time.perf_counter() - t) * 1000)"
    )
    done = run_fresh_python(["-c", code], pythonpath, cwd=cwd)
    return float(done.stdout.strip())


def import_self_us(
    module: str, pythonpath: Iterable[Path | str], *, cwd: Path | str | None = None
) -> dict[str, int]:
    """Microseconds each module took itself, as ``python -X importtime`` reports it."""
    done = run_fresh_python(["-X", "importtime", "-c", f"import {module}"], pythonpath, cwd=cwd)
    self_us: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        us, _cumulative, name = line[len("import time:") :].split("|")
        self_us[name.strip()] = self_us.get(name.strip(), 0) + int(us)
    return self_us

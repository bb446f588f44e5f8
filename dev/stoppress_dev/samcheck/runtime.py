"""A runtime-like Python: 3.13 with only boto3, a Lambda-like environment, and
``lambda_runner`` executed inside it.

Imports run with PYTHONDONTWRITEBYTECODE: Lambda's code and layer directories are
read-only, so a cold start compiles every source that comes without a .pyc, and so
does this check. The venv's boto3 is precompiled, as the runtime's own is.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.commands import PYENV_VERSION, CheckError, run
from stoppress_dev.samcheck.functions import Function
from stoppress_dev.template import PROJECT_ROOT

CHECK_VENV = PROJECT_ROOT / ".aws-sam" / "check-venv"
RUNNER = Path(__file__).parent.parent / "lambda_runner.py"
RUNTIME_PYTHON = "python3.13"


def _runtime_interpreter() -> str:
    env = {**os.environ, "PYENV_VERSION": PYENV_VERSION}
    try:
        done = subprocess.run(  # noqa: S603
            [RUNTIME_PYTHON, "-c", "import sys; print(sys.executable)"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as e:
        raise CheckError(f"{RUNTIME_PYTHON} is not available (pyenv {PYENV_VERSION}): {e}") from e
    return done.stdout.strip()


def runtime_python() -> Path:
    """A cached Python 3.13 virtualenv holding only boto3, like Lambda's runtime."""
    python = CHECK_VENV / "bin" / "python"
    stamp = CHECK_VENV / ".boto3-only-compiled"
    if python.exists() and stamp.exists():
        return python
    shutil.rmtree(CHECK_VENV, ignore_errors=True)
    interpreter = _runtime_interpreter()
    run([interpreter, "-m", "venv", "--without-pip", str(CHECK_VENV)], what="creating the venv")
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        # Compiled, as the runtime's own boto3 is.
        install = [str(uv), "pip", "install", "-q", "--compile-bytecode", "--python", str(python)]
        install.append("boto3")
    else:
        run([str(python), "-m", "ensurepip", "-q"], what="ensurepip")
        install = [str(python), "-m", "pip", "install", "-q", "boto3"]
    run(install, what="installing boto3 into the check venv")
    stamp.write_text("boto3 only; delete this directory to rebuild\n", encoding="utf-8")
    return python


def runtime_env(
    fn: Function | None = None, function_env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A Lambda-like environment: nothing from this shell but PATH and locale.

    With ``fn``, what Lambda sets for that function: its code and its layers on
    PYTHONPATH, its name and memory. ``function_env`` (its variables) goes on top.
    """
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        # No X-Ray daemon here.
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    if fn is not None:
        env.update(
            {
                "PYTHONPATH": os.pathsep.join(
                    [str(fn.build_dir), *(str(p) for p in fn.layer_dirs())]
                ),
                "LAMBDA_TASK_ROOT": str(fn.build_dir),
                "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            }
        )
    env.update(function_env or {})
    return env


def run_in_runtime(
    python: Path, request: Mapping[str, Any], env: Mapping[str, str], cwd: Path, timeout: float
) -> dict[str, Any]:
    """``lambda_runner`` with ``request`` in a fresh ``python`` process; its result."""
    with tempfile.TemporaryDirectory(prefix="samcheck-") as tmp:
        request_path, result_path = Path(tmp, "request.json"), Path(tmp, "result.json")
        request_path.write_text(json.dumps(request), encoding="utf-8")
        cmd = [str(python), "-s", "-c", RUNNER.read_text(encoding="utf-8")]
        try:
            done = subprocess.run(  # noqa: S603
                [*cmd, str(request_path), str(result_path)],
                cwd=cwd,
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise CheckError(f"the runtime did not finish within {timeout:.0f} s") from e
        if done.returncode != 0 or not result_path.exists():
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
            raise CheckError(f"exit {done.returncode}:\n{tail}")
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        return result

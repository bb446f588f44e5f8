"""Running the external commands the check needs; one that fails is a ``CheckError``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from stoppress_dev.template import PROJECT_ROOT

# python3.13 first (the runtime SAM builds for), 3.11 after it for the tools.
PYENV_VERSION = os.environ.get("SAMCHECK_PYENV_VERSION", "3.13.0:3.11.7")


class CheckError(RuntimeError):
    """A step of the check failed; the message says which and why."""


def tool(name: str) -> str:
    """A command from this virtualenv, else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise CheckError(f"{name} not found (run `make setup`)")
    return found


def run(cmd: Sequence[str], *, env: Mapping[str, str] | None = None, what: str) -> None:
    """Echo and run ``cmd`` in the project root, its output passed through."""
    print(f"$ {' '.join(cmd)}", flush=True)
    done = subprocess.run(list(cmd), cwd=PROJECT_ROOT, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise CheckError(f"{what} failed (exit {done.returncode})")

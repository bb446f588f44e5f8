"""Running the external commands the check needs; one that fails is a ``SamLocalError``."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.samcheck.commands import tool as samcheck_tool
from stoppress_dev.template import PROJECT_ROOT


class SamLocalError(RuntimeError):
    """A step failed; the message says which and why."""


def tool(name: str) -> str:
    """A command from this virtualenv, else from PATH (as ``make sam-check`` finds it)."""
    try:
        return samcheck_tool(name)
    except CheckError as e:
        raise SamLocalError(str(e)) from None


def run(
    cmd: Sequence[str],
    *,
    what: str,
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    quiet: bool = False,
    timeout: float | None = None,
) -> str:
    """Run ``cmd``; its output passed through (or, ``quiet``, kept and shown only on failure)."""
    print(f"$ {' '.join(cmd)}", flush=True)
    try:
        done = subprocess.run(  # noqa: S603
            list(cmd),
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=quiet,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise SamLocalError(f"{what} did not finish within {timeout:.0f} s") from e
    if done.returncode != 0:
        tail = "\n".join(((done.stderr or "") + (done.stdout or "")).strip().splitlines()[-20:])
        raise SamLocalError(
            f"{what} failed (exit {done.returncode})" + (f":\n{tail}" if quiet else "")
        )
    return done.stdout or ""

"""``sam validate --lint`` and ``sam build``, with the runtime's Python on PATH.

SAM builds python3.13 functions with the runtime's own interpreter, so pyenv puts
3.13 first (``PYENV_VERSION``).
"""

from __future__ import annotations

import os

from stoppress_dev.samcheck.commands import PYENV_VERSION, run, tool


def _sam_env() -> dict[str, str]:
    return {**os.environ, "PYENV_VERSION": PYENV_VERSION, "SAM_CLI_TELEMETRY": "0"}


def sam_validate_and_build(*, cached: bool) -> None:
    sam = tool("sam")
    env = _sam_env()
    run([sam, "validate", "--lint"], env=env, what="sam validate --lint")
    build = [sam, "build", "--parallel"]
    if cached:
        build.append("--cached")
    run(build, env=env, what="sam build")

"""The local stack the events are invoked against (``stoppress dev``), its clients,
and the functions' variables pointed at it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.commands import CheckError
from stoppress_dev.template import PROJECT_ROOT

STATE_WAIT_S = 120


def _stack_cli_available() -> bool:
    try:
        return importlib.util.find_spec("stoppress_dev.cli") is not None
    except ImportError:
        return False


@contextlib.contextmanager
def local_stack(state_file: Path | None) -> Iterator[dict[str, Any] | None]:
    """The running stack's state: the one named, or one started here for the check."""
    if state_file is not None:
        yield json.loads(state_file.read_text(encoding="utf-8"))
        return
    if not _stack_cli_available():
        print(
            "skipping the event invocations: the local stack CLI (stoppress_dev.cli) is not "
            "there yet",
            flush=True,
        )
        yield None
        return
    work = Path(tempfile.mkdtemp(prefix="samcheck-stack-"))
    state_path, log_path = work / "state.json", PROJECT_ROOT / ".aws-sam" / "check-stack.log"
    cmd = [sys.executable, "-m", "stoppress_dev.cli", "dev", "--state-file", str(state_path)]
    # Free ports, so a `make dev` already running on the default ones is left alone.
    cmd += ["--aws-port", "0", "--api-port", "0", "--web-port", "0"]
    print(f"$ {' '.join(cmd)}  (log: {log_path.relative_to(PROJECT_ROOT)})", flush=True)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + STATE_WAIT_S
            while not state_path.exists():
                if proc.poll() is not None:
                    raise CheckError(
                        f"the local stack exited with {proc.returncode} before it was ready; "
                        f"see {log_path}"
                    )
                if time.monotonic() > deadline:
                    raise CheckError(f"the local stack was not ready within {STATE_WAIT_S} s")
                time.sleep(0.2)
            time.sleep(0.2)  # the state file is written once; let the write finish
            yield json.loads(state_path.read_text(encoding="utf-8"))
        finally:
            stop_stack(proc)
            shutil.rmtree(work, ignore_errors=True)


def stop_stack(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, as Ctrl-C would; killed if it has not stopped within 30 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def stack_clients(state: Mapping[str, Any]) -> tuple[Any, Any]:
    """S3 and SQS clients for the stack's endpoint."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto accepts any credentials
        region_name=state["region"],
    )
    endpoint = state["aws_endpoint_url"]
    return session.client("s3", endpoint_url=endpoint), session.client("sqs", endpoint_url=endpoint)


def stack_env(
    local_env: Mapping[str, Mapping[str, str]], state: Mapping[str, Any]
) -> dict[str, dict[str, str]]:
    """env.local.json with the running stack's endpoint, names and URLs."""
    replacements = {
        "AWS_ENDPOINT_URL": state["aws_endpoint_url"],
        "TABLE_NAME": state["table"],
        "PUSH_QUEUE_URL": state.get("push_queue_url"),
        "SITE_BASE_URL": state.get("web_url"),
        "SITE_ORIGIN": state.get("web_url"),
        "AWS_REGION": state["region"],
        "AWS_DEFAULT_REGION": state["region"],
    }
    result: dict[str, dict[str, str]] = {}
    for logical_id, variables in local_env.items():
        env = dict(variables)
        for name, value in replacements.items():
            if value and (name in env or name.startswith("AWS_")):
                env[name] = value
        result[logical_id] = env
    return result

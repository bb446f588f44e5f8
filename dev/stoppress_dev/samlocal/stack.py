"""A fresh ``stoppress dev --for-containers``, as the README starts it, and its table.

The AWS endpoint takes the port env.local.json names (4566) when it is free; when it is
not (a ``make dev`` running), a free one, and the functions get env.local.json with
that port.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stoppress_dev.samcheck.stack import stop_stack
from stoppress_dev.samlocal.commands import SamLocalError
from stoppress_dev.template import PROJECT_ROOT

ENV_FILE = PROJECT_ROOT / "env.local.json"
ENV_FILE_PORT = 4566
CONTAINER_HOST = "host.docker.internal"
STATE_WAIT_S = 180


@dataclass(frozen=True)
class RunningStack:
    state: Mapping[str, Any]
    env_file: Path


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 - where the stack will listen
        except OSError:
            return False
    return True


def env_file_for_port(text: str, port: int) -> str:
    """env.local.json's text with the stack's endpoint on ``port`` instead."""
    return text.replace(f"{CONTAINER_HOST}:{ENV_FILE_PORT}", f"{CONTAINER_HOST}:{port}")


def _wait_for_state(proc: subprocess.Popen[bytes], state_path: Path, log_path: Path) -> None:
    deadline = time.monotonic() + STATE_WAIT_S
    while not state_path.exists():
        if proc.poll() is not None:
            raise SamLocalError(f"stoppress dev exited with {proc.returncode}; see {log_path}")
        if time.monotonic() > deadline:
            raise SamLocalError(f"stoppress dev was not ready within {STATE_WAIT_S} s")
        time.sleep(0.2)


@contextlib.contextmanager
def local_stack() -> Iterator[RunningStack]:
    """Start ``stoppress dev --for-containers``; stop it afterwards."""
    work = Path(tempfile.mkdtemp(prefix="samlocal-stack-"))
    state_path, log_path = work / "state.json", PROJECT_ROOT / ".aws-sam" / "samlocal-stack.log"
    port = ENV_FILE_PORT if _port_free(ENV_FILE_PORT) else 0
    cmd = [sys.executable, "-m", "stoppress_dev.cli", "dev", "--for-containers"]
    cmd += ["--state-file", str(state_path), "--aws-port", str(port)]
    cmd += ["--api-port", "0", "--web-port", "0"]
    print(f"$ {' '.join(cmd)}  (log: {log_path.relative_to(PROJECT_ROOT)})", flush=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_for_state(proc, state_path, log_path)
            state = json.loads(state_path.read_text(encoding="utf-8"))
            actual = int(state["aws_endpoint_url"].rsplit(":", 1)[1])
            env_file = ENV_FILE
            if actual != ENV_FILE_PORT:
                env_file = work / "env.local.json"
                text = env_file_for_port(ENV_FILE.read_text(encoding="utf-8"), actual)
                env_file.write_text(text, encoding="utf-8")
                print(f"port {ENV_FILE_PORT} is taken: env.local.json with port {actual} instead")
            yield RunningStack(state=state, env_file=env_file)
        finally:
            stop_stack(proc)
            shutil.rmtree(work, ignore_errors=True)


def table_snapshot(state: Mapping[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """Every item of the stack's table, keyed by (pk, sk), as plain values."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    client = boto3.client(
        "dynamodb",
        endpoint_url=state["aws_endpoint_url"],
        region_name=state["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
    )
    deserializer = TypeDeserializer()
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for page in client.get_paginator("scan").paginate(TableName=state["table"]):
        for raw in page["Items"]:
            item = {k: deserializer.deserialize(v) for k, v in raw.items()}
            items[(str(item["pk"]), str(item["sk"]))] = item
    return items

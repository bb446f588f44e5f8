"""Packaging check: what ``sam build`` produces must work on its own, as Lambda runs it.

``python -m stoppress_dev.samcheck`` (``make sam-check``):

1. ``sam validate --lint`` and ``sam build`` (with Python 3.13 on PATH through pyenv,
   since SAM builds python3.13 functions with the runtime's own interpreter);
2. the built layer's size, unzipped and zipped (Lambda's limits are 250 MB unzipped
   for a function and its layers, 50 MB zipped for a direct upload);
3. for each built function, in a Python 3.13 virtualenv holding only boto3 (what the
   Lambda runtime provides), with PYTHONPATH = the built function + the built layer's
   ``python/``: the handler's cold import time next to a bare ``import boto3``, and
   that ingest, subscribe and notify do not load pywebpush, aiohttp or http_ece;
4. with a local stack (``stoppress dev --state-file``, started here unless
   ``--stack-state`` names a running one): each function invoked with every
   ``events/`` file whose event source matches one of the function's template events.

Imports run with PYTHONDONTWRITEBYTECODE: Lambda's code and layer directories are
read-only, so a cold start compiles every source that comes without a .pyc, and so
does this check. The layer's build (layers/common/Makefile) ships unchecked-hash
.pyc files for everything in it; the function directories hold sources only. The
venv's boto3 is precompiled, as the runtime's own is.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stoppress_dev import template as tpl

PROJECT_ROOT = tpl.PROJECT_ROOT
BUILD_DIR = PROJECT_ROOT / ".aws-sam" / "build"
CHECK_VENV = PROJECT_ROOT / ".aws-sam" / "check-venv"
EVENTS_DIR = PROJECT_ROOT / "events"
SAMPLES_DIR = PROJECT_ROOT / "samplecontent"
ENV_FILE = PROJECT_ROOT / "env.local.json"
RUNNER = Path(__file__).with_name("lambda_runner.py")

# python3.13 first (the runtime SAM builds for), 3.11 after it for the tools.
PYENV_VERSION = os.environ.get("SAMCHECK_PYENV_VERSION", "3.13.0:3.11.7")
RUNTIME_PYTHON = "python3.13"
IMPORT_RUNS = 5
# Cold import budgets above a bare `import boto3` in the same runtime.
IMPORT_BUDGET_MS = {"IngestFunction": 150, "SubscribeFunction": 150, "SendFunction": 500}
# Standard modules Lambda's runtime client has imported before the handler (lambda_runner).
PRELOADED = "decimal, http.client, importlib, json, logging, traceback, uuid, warnings"
PROFILE_MARK = "-- handler import --"
# Functions that must stay clear of the push stack at cold start.
LIGHT_FUNCTIONS = ("IngestFunction", "SubscribeFunction", "NotifyFunction")
STATE_WAIT_S = 120
DRAIN_WAIT_S = 30
# Run the API last: the send events then find no member a subscribe event stored.
FUNCTION_ORDER = ("IngestFunction", "NotifyFunction", "SendFunction", "SubscribeFunction")
# events/ files whose name says they are refused on purpose may answer 4xx.
EXPECTED_REFUSAL_WORDS = ("invalid", "bad", "forbidden", "refused", "reject", "wrong", "error")


class CheckError(RuntimeError):
    """A step of the check failed; the message says which and why."""


# -- the template's functions ------------------------------------------------------------


@dataclass
class Function:
    logical_id: str
    handler: str
    code_uri: str
    memory_mb: int
    timeout_s: int
    event_types: frozenset[str]
    env_names: frozenset[str]
    # filled in as the check runs
    import_ms: float | None = None
    loaded: list[str] = field(default_factory=list)
    events_run: int = 0
    events_ok: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def build_dir(self) -> Path:
        return BUILD_DIR / self.logical_id


def _number(value: Any, parameters: Mapping[str, Any], default: int) -> int:
    if isinstance(value, dict) and "Ref" in value:
        value = parameters.get(value["Ref"], {}).get("Default", default)
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def template_functions() -> list[Function]:
    template = tpl.load_template()
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    parameters = template.get("Parameters") or {}
    global_env = set((globals_.get("Environment") or {}).get("Variables") or {})
    found: dict[str, Function] = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        env = set((props.get("Environment") or {}).get("Variables") or {})
        found[logical_id] = Function(
            logical_id=logical_id,
            handler=props.get("Handler", globals_.get("Handler", "app.lambda_handler")),
            code_uri=props.get("CodeUri", ""),
            memory_mb=_number(props.get("MemorySize", globals_.get("MemorySize")), parameters, 128),
            timeout_s=_number(props.get("Timeout", globals_.get("Timeout")), parameters, 3),
            event_types=frozenset(
                (e.get("Type") or "") for e in (props.get("Events") or {}).values()
            ),
            env_names=frozenset(global_env | env),
        )
    ordered = [found.pop(name) for name in FUNCTION_ORDER if name in found]
    return ordered + list(found.values())


# -- subprocess helpers --------------------------------------------------------------------


def _tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        raise CheckError(f"{name} not found (run `make setup`)")
    return found


def _run(cmd: Sequence[str], *, env: Mapping[str, str] | None = None, what: str) -> None:
    print(f"$ {' '.join(cmd)}", flush=True)
    done = subprocess.run(list(cmd), cwd=PROJECT_ROOT, env=env, check=False)  # noqa: S603
    if done.returncode != 0:
        raise CheckError(f"{what} failed (exit {done.returncode})")


def _sam_env() -> dict[str, str]:
    return {**os.environ, "PYENV_VERSION": PYENV_VERSION, "SAM_CLI_TELEMETRY": "0"}


def sam_validate_and_build(*, cached: bool) -> None:
    sam = _tool("sam")
    env = _sam_env()
    _run([sam, "validate", "--lint"], env=env, what="sam validate --lint")
    build = [sam, "build", "--parallel"]
    if cached:
        build.append("--cached")
    _run(build, env=env, what="sam build")


# -- sizes ---------------------------------------------------------------------------------


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _zipped_size(path: Path) -> int:
    with tempfile.TemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for p in sorted(path.rglob("*")):
                if p.is_file():
                    archive.write(p, p.relative_to(path))
        return tmp.seek(0, os.SEEK_END)


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def layer_dirs() -> list[Path]:
    """The built layers' python/ directories (what Lambda mounts under /opt/python)."""
    dirs = sorted(p / "python" for p in BUILD_DIR.iterdir() if (p / "python").is_dir())
    if not dirs:
        raise CheckError(f"no built layer under {BUILD_DIR} (did sam build run?)")
    return dirs


def report_sizes(functions: Sequence[Function]) -> None:
    for layer in layer_dirs():
        root = layer.parent
        largest = sorted(
            ((_tree_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in layer.iterdir()),
            reverse=True,
        )[:5]
        print(
            f"layer {root.name}: {_mb(_tree_size(root))} unzipped, {_mb(_zipped_size(root))} "
            f"zipped; largest: {', '.join(f'{n} {_mb(s)}' for s, n in largest)}",
            flush=True,
        )
    for fn in functions:
        if fn.build_dir.is_dir():
            print(f"function {fn.logical_id}: {_tree_size(fn.build_dir) / 1000:.1f} kB", flush=True)


# -- the clean runtime ---------------------------------------------------------------------


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
    _run([interpreter, "-m", "venv", "--without-pip", str(CHECK_VENV)], what="creating the venv")
    uv = Path(sys.executable).parent / "uv"
    if uv.exists():
        # Compiled, as the runtime's own boto3 is.
        install = [str(uv), "pip", "install", "-q", "--compile-bytecode", "--python", str(python)]
        install.append("boto3")
    else:
        _run([str(python), "-m", "ensurepip", "-q"], what="ensurepip")
        install = [str(python), "-m", "pip", "install", "-q", "boto3"]
    _run(install, what="installing boto3 into the check venv")
    stamp.write_text("boto3 only; delete this directory to rebuild\n", encoding="utf-8")
    return python


def _runtime_env(fn: Function | None, function_env: Mapping[str, str]) -> dict[str, str]:
    """A Lambda-like environment: nothing from this shell but PATH and locale."""
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
                "PYTHONPATH": os.pathsep.join([str(fn.build_dir), *(str(p) for p in layer_dirs())]),
                "LAMBDA_TASK_ROOT": str(fn.build_dir),
                "AWS_LAMBDA_FUNCTION_NAME": fn.logical_id,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            }
        )
    env.update(function_env)
    return env


def run_in_runtime(
    python: Path, request: Mapping[str, Any], env: Mapping[str, str], cwd: Path, timeout: float
) -> dict[str, Any]:
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
    measured = [fn for fn in functions if fn.build_dir.is_dir()]
    for fn in functions:
        if not fn.build_dir.is_dir():
            fn.problems.append(f"no build output at {fn.build_dir}")
    for _ in range(IMPORT_RUNS):
        baseline_runs.append(
            run_in_runtime(python, {"mode": "boto3"}, _runtime_env(None, {}), PROJECT_ROOT, 60)[
                "import_ms"
            ]
        )
        for fn in list(measured):
            request = {"mode": "handler", "handler": fn.handler}
            env = _runtime_env(fn, local_env.get(fn.logical_id, {}))
            try:
                runs[fn.logical_id].append(run_in_runtime(python, request, env, fn.build_dir, 120))
            except CheckError as e:
                fn.problems.append(f"import failed: {e}")
                measured.remove(fn)
    for fn in measured:
        fn.import_ms = statistics.median(r["import_ms"] for r in runs[fn.logical_id])
        fn.loaded = runs[fn.logical_id][0]["loaded"]
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
        profile = import_profile(python, fn, _runtime_env(fn, local_env.get(fn.logical_id, {})))
        print(
            f"{fn.logical_id} import time by package: "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in profile),
            flush=True,
        )


# -- the local stack -----------------------------------------------------------------------


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
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            shutil.rmtree(work, ignore_errors=True)


def _stack_clients(state: Mapping[str, Any]) -> tuple[Any, Any]:
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


# -- events --------------------------------------------------------------------------------


def event_source(event: Mapping[str, Any]) -> str | None:
    """The template event Type that delivers this shape of event."""
    if event.get("Event") == "s3:TestEvent":
        return "S3"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        return {"aws:s3": "S3", "aws:dynamodb": "DynamoDB", "aws:sqs": "SQS"}.get(
            records[0].get("eventSource") or records[0].get("EventSource", "")
        )
    if event.get("version") == "2.0" and "routeKey" in event:
        return "HttpApi"
    return None


def load_events() -> list[tuple[str, str, dict[str, Any]]]:
    """(file name, event source type, event) for every event file."""
    found = []
    for path in sorted(EVENTS_DIR.rglob("*.json")):
        event = json.loads(path.read_text(encoding="utf-8"))
        source = event_source(event) if isinstance(event, dict) else None
        if source is None:
            print(f"  {path.relative_to(PROJECT_ROOT)}: not a recognised event, skipped")
            continue
        found.append((str(path.relative_to(EVENTS_DIR)), source, event))
    return found


def _sample_for(key: str, size: int | None) -> bytes:
    """Content for an event's object: the sample of that name, else that size, else any."""
    name = Path(key).name.lower().replace(" ", "-")
    samples = sorted(p for p in SAMPLES_DIR.iterdir() if p.is_file() and p.name != "README.md")
    for p in samples:
        if p.name.lower() == name:
            return p.read_bytes()
    for p in samples:
        if size is not None and p.stat().st_size == size:
            return p.read_bytes()
    same_kind = [p for p in samples if p.suffix == Path(name).suffix] or samples
    return same_kind[0].read_bytes()


def prepare_event(
    source: str, event: dict[str, Any], state: Mapping[str, Any], s3: Any
) -> dict[str, Any]:
    """Point a real-shaped event at the local stack (and put the objects it names there)."""
    event = json.loads(json.dumps(event))
    bucket = state["bucket"]
    if source != "S3":
        return event
    if event.get("Event") == "s3:TestEvent":
        event["Bucket"] = bucket
        return event
    for record in event["Records"]:
        record["awsRegion"] = state["region"]
        s3_part = record["s3"]
        obj = s3_part["object"]
        key = urllib.parse.unquote_plus(obj["key"])
        body = _sample_for(key, obj.get("size"))
        put = s3.put_object(Bucket=bucket, Key=key, Body=body)
        s3_part["bucket"]["name"] = bucket
        s3_part["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        obj["size"] = len(body)
        obj["eTag"] = put.get("ETag", "").strip('"')
        if put.get("VersionId"):
            obj["versionId"] = put["VersionId"]
    return event


def filtered_records(fn: Function, event: dict[str, Any]) -> dict[str, Any] | None:
    """Drop the stream records Lambda's FilterCriteria would drop (None: nothing left)."""
    from stoppress_dev.eventfilter import matches_any

    events = tpl.resource(fn.logical_id)["Properties"].get("Events") or {}
    patterns = [
        p
        for name, e in events.items()
        if e.get("Type") == "DynamoDB"
        for p in tpl.stream_filter_patterns(fn.logical_id, name)
    ]
    kept = [r for r in event["Records"] if matches_any(patterns, r)]
    return {**event, "Records": kept} if kept else None


def _response_problem(name: str, response: Any) -> str | None:
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures:
        return f"{name}: {len(failures)} batch item failure(s)"
    status = response.get("statusCode")
    if isinstance(status, int):
        refusal = any(word in name.lower() for word in EXPECTED_REFUSAL_WORDS)
        if status >= 500 or (status >= 400 and not refusal):
            return f"{name}: HTTP {status} {str(response.get('body', ''))[:200]}"
    return None


def _wait_for_queue_to_drain(sqs: Any, queue_url: str | None) -> None:
    """Let the stack's own sender finish jobs the notify events enqueued."""
    if not queue_url:
        return
    deadline = time.monotonic() + DRAIN_WAIT_S
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.monotonic() < deadline:
        attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
        if not any(int(attrs.get(n, "0")) for n in names):
            return
        time.sleep(0.5)


def invoke_events(
    python: Path,
    functions: Sequence[Function],
    local_env: Mapping[str, Mapping[str, str]],
    state: Mapping[str, Any],
) -> None:
    s3, sqs = _stack_clients(state)
    envs = stack_env(local_env, state)
    events = load_events()
    for fn in functions:
        if fn.import_ms is None:
            continue
        if fn.logical_id == "SubscribeFunction":
            _wait_for_queue_to_drain(sqs, state.get("push_queue_url"))
        batch = []
        for name, source, event in events:
            if source not in fn.event_types:
                continue
            prepared = prepare_event(source, event, state, s3)
            if source == "DynamoDB":
                filtered = filtered_records(fn, prepared)
                if filtered is None:
                    print(f"  {fn.logical_id} {name}: every record filtered out, as on AWS")
                    continue
                prepared = filtered
            batch.append({"name": name, "event": prepared})
        if not batch:
            fn.problems.append("no events/ file for this function")
            continue
        request = {
            "mode": "handler",
            "handler": fn.handler,
            "function_name": fn.logical_id,
            "memory_mb": fn.memory_mb,
            "timeout_s": fn.timeout_s,
            "events": batch,
        }
        env = _runtime_env(fn, envs.get(fn.logical_id, {}))
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = state["region"]
        try:
            result = run_in_runtime(
                python, request, env, fn.build_dir, 60 + fn.timeout_s * len(batch)
            )
        except CheckError as e:
            fn.problems.append(f"invocation failed: {e}")
            continue
        for inv in result["invocations"]:
            fn.events_run += 1
            problem = (
                f"{inv['name']}: raised\n{inv['error']}"
                if not inv["ok"]
                else _response_problem(inv["name"], inv.get("response"))
            )
            if problem:
                fn.problems.append(problem)
            else:
                fn.events_ok += 1


# -- report --------------------------------------------------------------------------------


def print_table(functions: Sequence[Function], baseline_ms: float | None, invoked: bool) -> None:
    headers = (
        "function",
        "import ms",
        "boto3-only ms",
        "above boto3",
        "budget",
        "heavy",
        "events ok",
    )
    rows = []
    for fn in functions:
        above = (
            fn.import_ms - baseline_ms
            if fn.import_ms is not None and baseline_ms is not None
            else None
        )
        budget = IMPORT_BUDGET_MS.get(fn.logical_id)
        budget_text = "-" if budget is None else f"+{budget}"
        if budget is not None and above is not None and above > budget:
            budget_text += " OVER"
        rows.append(
            (
                fn.logical_id,
                "-" if fn.import_ms is None else f"{fn.import_ms:.0f}",
                "-" if baseline_ms is None else f"{baseline_ms:.0f}",
                "-" if above is None else f"{above:+.0f}",
                budget_text,
                ",".join(fn.loaded) or "none",
                f"{fn.events_ok}/{fn.events_run}" if invoked else "skipped",
            )
        )
    widths = [max(len(str(r[i])) for r in (headers, *rows)) for i in range(len(headers))]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - widths are computed
    print()
    print(line.format(*headers))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    print(
        f"(median of {IMPORT_RUNS} cold imports in a fresh Python 3.13 with only boto3 + the "
        "built layer, as on Lambda: no .pyc written, the layer's own precompiled)",
        flush=True,
    )


def load_local_env() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(ENV_FILE.read_text(encoding="utf-8"))
    return {k: {n: str(v) for n, v in vars_.items()} for k, vars_ in data.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stoppress_dev.samcheck", description=__doc__)
    parser.add_argument("--skip-build", action="store_true", help="use the existing .aws-sam/build")
    parser.add_argument("--no-cache", action="store_true", help="sam build without --cached")
    parser.add_argument("--no-invoke", action="store_true", help="imports only, no local stack")
    parser.add_argument(
        "--profile-imports",
        action="store_true",
        help="also show each handler's import time by package (python -X importtime)",
    )
    parser.add_argument(
        "--stack-state", type=Path, help="state file of a running `stoppress dev` to invoke against"
    )
    args = parser.parse_args(argv)

    functions = template_functions()
    try:
        if not args.skip_build:
            sam_validate_and_build(cached=not args.no_cache)
        report_sizes(functions)
        python = runtime_python()
        local_env = load_local_env()
        baseline = measure_imports(python, functions, local_env)
        if args.profile_imports:
            print_import_profiles(python, functions, local_env)
        invoked = False
        if not args.no_invoke:
            with local_stack(args.stack_state) as state:
                if state is not None:
                    invoke_events(python, functions, local_env, state)
                    invoked = True
    except CheckError as e:
        print(f"sam-check: {e}", file=sys.stderr, flush=True)
        return 1
    print_table(functions, baseline, invoked)
    failed = [fn for fn in functions if fn.problems]
    for fn in failed:
        for problem in fn.problems:
            print(f"FAIL {fn.logical_id}: {problem}", file=sys.stderr)
    if failed:
        return 1
    print("sam-check passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

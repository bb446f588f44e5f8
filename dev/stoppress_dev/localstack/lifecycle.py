"""Starting and stopping the local stack: moto on loopback, this process pointed at it, the
resources, the HTTP front and the event sources; and the state file other processes read."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from stoppress_dev.http_front import HttpFront
from stoppress_dev.localstack import moto_fixes
from stoppress_dev.localstack import resources as res
from stoppress_dev.localstack.handlers import Handlers, quiet_powertools, restore_log_level
from stoppress_dev.localstack.items import TableItems
from stoppress_dev.localstack.progress import PipelineStep, Progress
from stoppress_dev.localstack.push_jobs import PushJobs
from stoppress_dev.localstack.sources import EventSource, Wiring
from stoppress_dev.localstack.stream import TableStream
from stoppress_dev.localstack.ttl import SWEEP_SECONDS, TtlSweeper
from stoppress_dev.localstack.uploads import UploadEvents
from stoppress_dev.localstack.windows import CooldownWindows

# Not under "stoppress": Powertools filters records of loggers whose name contains its
# service name out of the root handlers.
log = logging.getLogger("local-stack")

DEFAULT_NAME = "stoppress-local"
DEFAULT_REGION = "us-east-1"
EVENT_SOURCES: tuple[type[EventSource], ...] = (
    UploadEvents,
    TableStream,
    PushJobs,
    CooldownWindows,
)


@dataclass(frozen=True)
class StackState:
    """What clients need to reach the stack; written as the state file."""

    aws_endpoint_url: str
    region: str
    bucket: str
    table: str
    api_url: str
    web_url: str
    push_queue_url: str
    push_dlq_url: str
    ingest_dlq_url: str
    notify_dlq_url: str
    vapid_public_key: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)


@dataclass
class _Running:
    """What exists only while the stack runs."""

    resources: res.StackResources
    handlers: Handlers
    items: TableItems
    progress: Progress


class LocalStack:
    """See the package docstring. ``start()`` returns the state; ``stop()`` undoes it."""

    def __init__(
        self,
        *,
        aws_port: int = 0,
        aws_host: str = "127.0.0.1",
        api_port: int = 0,
        web_port: int = 0,
        region: str = DEFAULT_REGION,
        name: str = DEFAULT_NAME,
        topic_shards: int = 4,
        quiet_handlers: bool = True,
        on_step: Callable[[PipelineStep], None] | None = None,
        env_overrides: Mapping[str, str] | None = None,
        fix_moto: bool = True,
        ttl_clock: Callable[[], float] = time.time,
        ttl_sweep_seconds: float | None = SWEEP_SECONDS,
    ) -> None:
        self.aws_port = aws_port
        # 0.0.0.0 lets `sam local invoke` reach moto from Docker (host.docker.internal);
        # everything else stays on loopback.
        self.aws_host = aws_host
        self.api_port = api_port
        self.web_port = web_port
        self.region = region
        self.name = name
        self.topic_shards = topic_shards
        self.quiet_handlers = quiet_handlers
        self.on_step = on_step
        self.env_overrides = dict(env_overrides or {})
        # moto_fixes: off only to measure or show what stock moto does.
        self.fix_moto = fix_moto
        # What the TTL sweeper takes for now (tests move it days ahead), and how often
        # it sweeps (None: only when ``expire_items`` is called).
        self.ttl_clock = ttl_clock
        self.ttl_sweep_seconds = ttl_sweep_seconds
        self._sweeper: TtlSweeper | None = None
        self.table_name = name
        self.bucket_name = f"{name}-articles"
        self.push_queue_name = f"{name}-push-jobs"
        self.steps: list[PipelineStep] = []
        self.function_env: dict[str, str] = {}
        self._state: StackState | None = None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._saved_env: dict[str, str | None] = {}
        self._saved_log_level: int | None = None
        self._moto: Any = None
        self._release_moto_fixes: Callable[[], None] | None = None
        self._http: HttpFront | None = None
        self._running: _Running | None = None

    # -- lifecycle -------------------------------------------------------------------------

    @property
    def state(self) -> StackState:
        if self._state is None:
            raise RuntimeError("the local stack is not running")
        return self._state

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> StackState:
        if self._state is not None:
            raise RuntimeError("the local stack is already running")
        self._stop.clear()
        try:
            self._fix_moto()
            endpoint = self._start_moto()
            clients = self._point_process_at(endpoint)
            resources = res.create_resources(
                clients,
                name=self.name,
                region=self.region,
                table=self.table_name,
                bucket=self.bucket_name,
                push_queue=self.push_queue_name,
            )
            items = TableItems(clients.dynamodb, resources.table)
            progress = Progress(
                steps=self.steps,
                on_step=self._step_taken,
                items=items,
                sqs=clients.sqs,
                watched_queues={
                    q: resources.queue_urls[q] for q in ("s3-events", "push", "cooldown")
                },
                stop=self._stop,
            )
            handlers = Handlers(resources.function_specs(), quiet=self.quiet_handlers)
            running = self._running = _Running(resources, handlers, items, progress)
            self._http = HttpFront(
                api_port=self.api_port,
                web_port=self.web_port,
                routes=res.api_routes(),
                cors=res.api_cors(),
                invoke=lambda event: self.invoke("subscribe", event),
                site_origin=lambda: self.function_env.get("SITE_ORIGIN"),
                stored_article=items.latest_article,
                on_error=lambda text: progress.emit(PipelineStep("error", text)),
            )
            api_url, web_url = self._http.start()
            self._configure_functions(resources, endpoint, web_url)
            public_key = res.store_vapid_keys(self.function_env)
            self._state = StackState(
                aws_endpoint_url=endpoint,
                region=self.region,
                bucket=resources.bucket,
                table=resources.table,
                api_url=api_url,
                web_url=web_url,
                push_queue_url=resources.queue_urls["push"],
                push_dlq_url=resources.queue_urls["push-dlq"],
                ingest_dlq_url=resources.queue_urls["ingest-dlq"],
                notify_dlq_url=resources.queue_urls["notify-dlq"],
                vapid_public_key=public_key,
            )
            self._start_event_sources(running)
        except BaseException:
            self.stop()
            raise
        log.info("local stack ready: AWS %s, API %s, web %s", endpoint, api_url, web_url)
        return self._state

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)
        self._threads.clear()
        if self._http is not None:
            self._http.stop()
            self._http = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._release_moto_fixes is not None:
            self._release_moto_fixes()
            self._release_moto_fixes = None
        self._restore_process()
        self._running = None
        self._sweeper = None
        self._state = None

    # -- what callers use while it runs -------------------------------------------------------

    def invoke(self, function: str, event: Mapping[str, Any]) -> Any:
        """Call a handler as Lambda would: one invocation at a time per function, with a context."""
        return self._run().handlers.invoke(function, event)

    def delivery_counts(self, article_id: str, number: int) -> dict[str, int]:
        """The DELIVERY#n counters send keeps for a version (zeros before any send)."""
        return self._run().items.delivery_counts(article_id, number)

    def queue_depths(self) -> dict[str, int]:
        """Messages visible + in flight + delayed, per queue."""
        return self._run().progress.queue_depths()

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Block until uploads, stream records and push jobs are handled; TimeoutError if not."""
        self._run().progress.wait_idle(timeout)

    def expire_items(self, at: float | None = None) -> int:
        """Delete what the table's TTL has expired by ``at`` (the TTL clock's now); how many."""
        self._run()
        if self._sweeper is None:
            raise RuntimeError("the local stack is not running")
        return self._sweeper.sweep(self.ttl_clock() if at is None else at)

    def version_item(self, article_id: str, number: int) -> dict[str, Any] | None:
        return self._run().items.version_item(article_id, number)

    def versions(self, article_id: str) -> list[dict[str, Any]]:
        """Every stored version of an article, oldest first (plain values)."""
        return self._run().items.versions(article_id)

    def _run(self) -> _Running:
        if self._running is None:
            raise RuntimeError("the local stack is not running")
        return self._running

    def _step_taken(self, step: PipelineStep) -> None:
        if self.on_step is not None:
            self.on_step(step)

    # -- this process ----------------------------------------------------------------------

    def _fix_moto(self) -> None:
        if not self.fix_moto:
            return
        try:
            self._release_moto_fixes = moto_fixes.apply()
        except moto_fixes.MotoChangedError as e:
            log.warning("%s; running on moto as it is", e)

    def _start_moto(self) -> str:
        from moto.server import ThreadedMotoServer

        # Flask's request log would drown the pipeline's own lines.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.aws_port:
            # ThreadedMotoServer waits forever when its thread cannot bind: check first.
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind((self.aws_host, self.aws_port))
                except OSError as e:
                    raise RuntimeError(
                        f"cannot listen on {self.aws_host}:{self.aws_port} ({e.strerror}); "
                        "is another local stack running? pick another port (--aws-port)"
                    ) from e
        self._moto = ThreadedMotoServer(ip_address=self.aws_host, port=self.aws_port, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        if host in ("0.0.0.0", "::", ""):  # noqa: S104 - bound everywhere, reached on loopback
            host = "127.0.0.1"
        endpoint = f"http://{host}:{port}"
        # moto's backends live in this process: a previous stack (or mock_aws) may have left state.
        req = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")  # noqa: S310
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback moto server
            pass
        return endpoint

    def _set_env(self, values: Mapping[str, str | None]) -> None:
        for k, v in values.items():
            if k not in self._saved_env:
                self._saved_env[k] = os.environ.get(k)
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    def _point_process_at(self, endpoint: str) -> res.AwsClients:
        self._set_env(
            {
                "AWS_ENDPOINT_URL": endpoint,
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_SESSION_TOKEN": None,
                "AWS_PROFILE": None,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_REGION": self.region,
            }
        )
        self._forget_cached_clients()
        return res.AwsClients.for_endpoint(endpoint, self.region)

    def _configure_functions(
        self, resources: res.StackResources, endpoint: str, web_url: str
    ) -> None:
        env = res.function_environment(
            resources,
            endpoint=endpoint,
            web_url=web_url,
            topic_shards=self.topic_shards,
            quiet=self.quiet_handlers,
            overrides=self.env_overrides,
        )
        if self.quiet_handlers:
            self._saved_log_level = quiet_powertools()
        self.function_env = env
        # The functions share this process, so its environment is theirs.
        self._set_env(env)
        self._forget_cached_clients()

    @staticmethod
    def _forget_cached_clients() -> None:
        """Handlers keep clients, settings and parameters warm: a new stack needs new ones."""
        from stoppress.core import warm

        warm.reset()

    def _restore_process(self) -> None:
        for k, v in self._saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved_env.clear()
        if self._saved_log_level is not None:
            restore_log_level(self._saved_log_level)
            self._saved_log_level = None
        self._forget_cached_clients()

    # -- event sources ---------------------------------------------------------------------

    def _start_event_sources(self, running: _Running) -> None:
        wiring = Wiring(
            resources=running.resources,
            invoke=self.invoke,
            function_arns={name: spec.arn for name, spec in running.handlers.specs.items()},
            items=running.items,
            progress=running.progress,
            stop=self._stop,
        )
        for source_type in EVENT_SOURCES:
            source = source_type(wiring)
            running.progress.watch(source.name)
            t = threading.Thread(target=source.run, name=f"stack-{source.name}", daemon=True)
            self._threads.append(t)
            t.start()
        # Not watched: it tidies the table up, and wait_idle must not wait for its sweeps.
        self._sweeper = TtlSweeper(wiring, clock=self.ttl_clock, every=self.ttl_sweep_seconds)
        t = threading.Thread(target=self._sweeper.run, name="stack-ttl", daemon=True)
        self._threads.append(t)
        t.start()


@contextlib.contextmanager
def running_stack(**kwargs: Any) -> Iterator[LocalStack]:
    """``with running_stack() as stack:`` — a started stack that always stops."""
    stack = LocalStack(**kwargs)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def write_state_file(path: Path, state: StackState) -> None:
    """Write atomically, so a reader polling for the file never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(state.to_json() + "\n", encoding="utf-8")
    tmp.replace(path)

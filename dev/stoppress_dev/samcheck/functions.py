"""The template's functions as the check runs them, where ``sam build`` put them, and
what the check found for each.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from stoppress_dev import template as tpl
from stoppress_dev.samcheck.commands import CheckError

BUILD_DIR = tpl.PROJECT_ROOT / ".aws-sam" / "build"
ENV_FILE = tpl.PROJECT_ROOT / "env.local.json"
# Run the API last: the send events then find no member a subscribe event stored.
FUNCTION_ORDER = (
    "IngestFunction",
    "NotifyFunction",
    "AudienceFunction",
    "SendFunction",
    "SubscribeFunction",
)
# Lambda's own defaults when neither the function nor the globals say.
DEFAULT_MEMORY_MB = 128
DEFAULT_TIMEOUT_S = 3
# Lambda has no default handler; this is the name SAM's project templates use.
DEFAULT_HANDLER = "app.lambda_handler"


@dataclass
class Function:
    """One function with its template settings (Lambda's defaults filled in) and findings."""

    logical_id: str
    handler: str
    memory_mb: int
    timeout_s: int
    layer_ids: tuple[str, ...]
    # event name -> template event Type
    events: Mapping[str, str]
    # filled in as the check runs
    import_ms: float | None = None
    # The cold import plus what the first event of a kind imports on top (FIRST_USE_IMPORTS).
    first_use_ms: float | None = None
    loaded: list[str] = field(default_factory=list)
    events_run: int = 0
    events_ok: int = 0
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_template(cls, definition: tpl.FunctionDefinition) -> Function:
        return cls(
            logical_id=definition.logical_id,
            handler=DEFAULT_HANDLER if definition.handler is None else definition.handler,
            memory_mb=DEFAULT_MEMORY_MB if definition.memory_mb is None else definition.memory_mb,
            timeout_s=DEFAULT_TIMEOUT_S if definition.timeout_s is None else definition.timeout_s,
            layer_ids=definition.layer_ids,
            events=definition.events,
        )

    @property
    def build_dir(self) -> Path:
        return BUILD_DIR / self.logical_id

    @property
    def event_types(self) -> frozenset[str]:
        """Each event source's ``Type``; an SQS source also as ``SQS:<queue logical id>``,
        as ``event_source`` tells queues apart (notify and send both take SQS events)."""
        types = set(self.events.values())
        for name, kind in self.events.items():
            if kind == "SQS":
                queue = tpl.event_properties(self.logical_id, name).get("Queue")
                types.add(f"SQS:{tpl.logical_id_of(queue)}")
        return frozenset(types)

    def layer_dirs(self) -> list[Path]:
        """The built ``python/`` directories of this function's layers, in template order."""
        dirs = [BUILD_DIR / layer_id / "python" for layer_id in self.layer_ids]
        for layer in dirs:
            if not layer.is_dir():
                raise CheckError(f"no built layer at {layer} (did sam build run?)")
        return dirs


def template_functions() -> list[Function]:
    """The template's functions, in the order the events are best invoked."""
    found = {d.logical_id: Function.from_template(d) for d in tpl.functions()}
    ordered = [found.pop(name) for name in FUNCTION_ORDER if name in found]
    return ordered + list(found.values())


def layer_dirs() -> list[Path]:
    """Every built layer's python/ directory (what Lambda mounts under /opt/python)."""
    dirs = sorted(p / "python" for p in BUILD_DIR.iterdir() if (p / "python").is_dir())
    if not dirs:
        raise CheckError(f"no built layer under {BUILD_DIR} (did sam build run?)")
    return dirs


def load_local_env() -> dict[str, dict[str, str]]:
    """env.local.json: each function's variables for running outside AWS."""
    data: dict[str, dict[str, str]] = json.loads(ENV_FILE.read_text(encoding="utf-8"))
    return {k: {n: str(v) for n, v in vars_.items()} for k, vars_ in data.items()}

"""Read template.yaml, so local resources and checks are built from the deployed definitions.

One reader for everything that needs the template: the tables tests create, the
local stack's resources and wiring, ``samcheck``. It reads what the template
declares and evaluates the intrinsic functions it can (``resolve``); what to do
when the template is silent is the caller's choice.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = PROJECT_ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns CloudFormation short tags (!Ref, !GetAtt, ...) into their long form."""


def _construct_tag(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt" and isinstance(value, str):
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        template: dict[str, Any] = yaml.load(f, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return template


def resource(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    resources: dict[str, Any] = load_template(path)["Resources"]
    return resources[logical_id]


def create_table_kwargs(table_name: str, logical_id: str = "Table") -> dict[str, Any]:
    """boto3 ``create_table`` arguments equivalent to the template's table."""
    props = resource(logical_id)["Properties"]
    kwargs: dict[str, Any] = {
        "TableName": table_name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "StreamSpecification" in props:
        kwargs["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    if "GlobalSecondaryIndexes" in props:
        kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    return kwargs


def ttl_attribute(logical_id: str = "Table") -> str | None:
    spec = resource(logical_id)["Properties"].get("TimeToLiveSpecification")
    return spec["AttributeName"] if spec and spec.get("Enabled") else None


def stream_filter_patterns(function_logical_id: str, event_name: str) -> list[str]:
    """The event filter patterns a function's event source declares (JSON strings)."""
    events = resource(function_logical_id)["Properties"]["Events"]
    criteria = events[event_name]["Properties"].get("FilterCriteria", {})
    return [f["Pattern"] for f in criteria.get("Filters", [])]


# -- reading resources, functions and their event sources --------------------------------------


def resource_ids(resource_type: str, path: Path = TEMPLATE_PATH) -> list[str]:
    """The logical ids of the template's resources of one ``Type``, in template order."""
    resources = load_template(path).get("Resources") or {}
    return [k for k, r in resources.items() if (r or {}).get("Type") == resource_type]


def logical_id_of(value: Any) -> str | None:
    """The resource a ``!Ref`` or ``!GetAtt`` points at; None for anything else."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, target),) = value.items()
        if name == "Ref" and isinstance(target, str):
            return target
        if name == "Fn::GetAtt" and isinstance(target, list) and target:
            return str(target[0])
    return None


def properties(logical_id: str, path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """A resource's ``Properties``; empty when the template does not declare the resource."""
    resources = load_template(path).get("Resources") or {}
    return dict((resources.get(logical_id) or {}).get("Properties") or {})


def function_globals(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    """``Globals.Function``: what every ``AWS::Serverless::Function`` inherits."""
    return dict((load_template(path).get("Globals") or {}).get("Function") or {})


def function_setting(logical_id: str, name: str, path: Path = TEMPLATE_PATH) -> Any:
    """A function property as SAM applies it: the function's own value, else the global one.

    For scalar properties (``MemorySize``, ``Timeout``, ``Handler``...); the value is
    returned unresolved (it may be ``{"Ref": ...}``), None when neither declares it.
    """
    own = properties(logical_id, path)
    return own[name] if name in own else function_globals(path).get(name)


def event_properties(
    function_logical_id: str, event_name: str, path: Path = TEMPLATE_PATH
) -> dict[str, Any]:
    """The ``Properties`` of one of a function's ``Events``; empty when it has no such event."""
    events = properties(function_logical_id, path).get("Events") or {}
    return dict((events.get(event_name) or {}).get("Properties") or {})


def parameter_defaults(path: Path = TEMPLATE_PATH) -> dict[str, str]:
    """Each parameter's ``Default`` as CloudFormation substitutes it (a string).

    A ``CommaDelimitedList`` default stays one comma-separated string; parameters
    without a default (the deployment must supply them) are absent.
    """
    parameters = load_template(path).get("Parameters") or {}
    return {
        name: str(definition["Default"])
        for name, definition in parameters.items()
        if "Default" in (definition or {})
    }


# -- intrinsic functions -----------------------------------------------------------------------

_SUB_VARIABLE = re.compile(r"\$\{(!?)([^}]+)\}")


def resolve(
    value: Any, refs: Mapping[str, str], getatts: Mapping[tuple[str, str], str]
) -> str | None:
    """A template value as the string CloudFormation would produce, or None when unknown.

    ``refs`` gives the value of each ``!Ref`` target (parameters, pseudo parameters,
    resources), ``getatts`` the value of each ``(resource, attribute)``. Scalars become
    strings (booleans as ``true``/``false``); ``Ref``, ``Fn::GetAtt``, ``Fn::Sub``
    (both forms, ``${!Literal}`` escapes included) and ``Fn::Join`` (also over a
    ``CommaDelimitedList`` parameter) are evaluated. Anything else, or anything that
    refers to a name missing from ``refs``/``getatts``, gives None.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if not (isinstance(value, Mapping) and len(value) == 1):
        return None
    ((fn, arg),) = value.items()
    if fn == "Ref":
        return refs.get(arg) if isinstance(arg, str) else None
    if fn == "Fn::GetAtt" and isinstance(arg, list) and len(arg) == 2:
        return getatts.get((str(arg[0]), str(arg[1])))
    if fn == "Fn::Sub":
        return _resolve_sub(arg, refs, getatts)
    if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
        delimiter, items = str(arg[0]), arg[1]
        if isinstance(items, Mapping):
            # A list parameter (CommaDelimitedList): its value is already comma-separated.
            joined = resolve(items, refs, getatts)
            return None if joined is None else delimiter.join(joined.split(","))
        parts = [resolve(p, refs, getatts) for p in items] if isinstance(items, list) else [None]
        if any(p is None for p in parts):
            return None
        return delimiter.join(p for p in parts if p is not None)
    return None


def _resolve_sub(
    arg: Any, refs: Mapping[str, str], getatts: Mapping[tuple[str, str], str]
) -> str | None:
    if isinstance(arg, str):
        text, variables = arg, {}
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        text, variables = arg[0], dict(arg[1] or {})
    else:
        return None
    missing = False

    def substitute(m: re.Match[str]) -> str:
        nonlocal missing
        literal, name = m.group(1), m.group(2)
        if literal:
            return "${" + name + "}"
        if name in variables:
            got = resolve(variables[name], refs, getatts)
        elif "." in name:
            resource_id, attribute = name.split(".", 1)
            got = getatts.get((resource_id, attribute))
        else:
            got = refs.get(name)
        if got is None:
            missing = True
            return ""
        return got

    text = _SUB_VARIABLE.sub(substitute, text)
    return None if missing else text


# -- what the deployed functions see -----------------------------------------------------------


@dataclass(frozen=True)
class FunctionDefinition:
    """An ``AWS::Serverless::Function`` with its settings as SAM applies them.

    Each setting is the function's own value, else the global one, resolved like
    ``resolve``; None when neither declares it or it does not resolve (what Lambda
    or SAM would then use is the caller's choice).
    """

    logical_id: str
    handler: str | None
    code_uri: str | None
    memory_mb: int | None
    timeout_s: int | None
    # The template's own layers the function uses (``!Ref`` entries), global ones
    # first as SAM merges lists; a layer given by ARN is not built here, so not listed.
    layer_ids: tuple[str, ...] = ()
    # Each event source's name and ``Type`` (S3, SQS, DynamoDB, HttpApi...), in template order.
    events: Mapping[str, str] = field(default_factory=dict)


def functions(
    refs: Mapping[str, str] | None = None,
    getatts: Mapping[tuple[str, str], str] | None = None,
    path: Path = TEMPLATE_PATH,
) -> list[FunctionDefinition]:
    """Every ``AWS::Serverless::Function`` in template order, its settings resolved.

    ``refs`` defaults to the parameter defaults, so ``MemorySize: !Ref SendMemorySize``
    gives that parameter's default.
    """
    refs = parameter_defaults(path) if refs is None else refs
    getatts = getatts or {}
    resources = load_template(path).get("Resources") or {}

    def text(logical_id: str, name: str) -> str | None:
        return resolve(function_setting(logical_id, name, path), refs, getatts)

    def integer(logical_id: str, name: str) -> int | None:
        value = text(logical_id, name)
        try:
            return None if value is None else int(value)
        except ValueError:
            return None

    found = []
    for logical_id, res in resources.items():
        if (res or {}).get("Type") != "AWS::Serverless::Function":
            continue
        layers = [
            *(function_globals(path).get("Layers") or []),
            *(properties(logical_id, path).get("Layers") or []),
        ]
        events = properties(logical_id, path).get("Events") or {}
        found.append(
            FunctionDefinition(
                logical_id=logical_id,
                handler=text(logical_id, "Handler"),
                code_uri=text(logical_id, "CodeUri"),
                memory_mb=integer(logical_id, "MemorySize"),
                timeout_s=integer(logical_id, "Timeout"),
                layer_ids=tuple(
                    layer["Ref"]
                    for layer in layers
                    if isinstance(layer, Mapping) and layer.get("Ref") in resources
                ),
                events={name: str((e or {}).get("Type") or "") for name, e in events.items()},
            )
        )
    return found


def function_environment(
    logical_id: str,
    refs: Mapping[str, str] | None = None,
    getatts: Mapping[tuple[str, str], str] | None = None,
    path: Path = TEMPLATE_PATH,
) -> dict[str, str]:
    """A function's environment variables, the globals merged under its own, resolved.

    ``refs`` defaults to the parameter defaults; a variable whose value cannot be
    resolved with ``refs`` and ``getatts`` (a parameter without a default, say) is
    left out, so the caller can supply it.
    """
    refs = parameter_defaults(path) if refs is None else refs
    getatts = getatts or {}
    variables: dict[str, Any] = dict(
        (function_globals(path).get("Environment") or {}).get("Variables") or {}
    )
    variables.update((properties(logical_id, path).get("Environment") or {}).get("Variables") or {})
    env: dict[str, str] = {}
    for name, value in variables.items():
        resolved = resolve(value, refs, getatts)
        if resolved is not None:
            env[name] = resolved
    return env


def upload_trigger(
    function_logical_id: str = "IngestFunction",
    event_name: str = "Upload",
    path: Path = TEMPLATE_PATH,
) -> tuple[list[str], list[dict[str, str]]]:
    """The S3 event types and key filter rules of a function's S3 event.

    Shaped for ``put_bucket_notification_configuration`` (``Events`` and
    ``Filter.Key.FilterRules``); each list is empty when the template does not declare it.
    """
    upload = event_properties(function_logical_id, event_name, path)
    events = upload.get("Events") or []
    events = [events] if isinstance(events, str) else [str(e) for e in events]
    rules = ((upload.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return events, [{"Name": str(r["Name"]), "Value": str(r["Value"])} for r in rules]


def api_routes(
    function_logical_id: str = "SubscribeFunction", path: Path = TEMPLATE_PATH
) -> list[tuple[str, str]]:
    """``(METHOD, path)`` of each ``HttpApi`` event of a function, in template order."""
    events = properties(function_logical_id, path).get("Events") or {}
    return [
        (str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"]))
        for e in events.values()
        if e.get("Type") == "HttpApi" and "Path" in (e.get("Properties") or {})
    ]


def cors_configuration(path: Path = TEMPLATE_PATH) -> dict[str, Any] | None:
    """The HTTP API's ``CorsConfiguration``, unresolved; None when CORS is not configured.

    The ``AWS::Serverless::HttpApi`` resource's own setting wins over
    ``Globals.HttpApi``. SAM's shorthand (``CorsConfiguration: true``) gives ``{}``.
    """
    template = load_template(path)
    cors: Any = None
    for res in (template.get("Resources") or {}).values():
        if res.get("Type") == "AWS::Serverless::HttpApi":
            cors = (res.get("Properties") or {}).get("CorsConfiguration")
    if not cors:
        cors = ((template.get("Globals") or {}).get("HttpApi") or {}).get("CorsConfiguration")
    if not cors:
        return None
    return dict(cors) if isinstance(cors, Mapping) else {}


QUEUE_ATTRIBUTE_NAMES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
)


def queue_attributes(
    logical_id: str,
    refs: Mapping[str, str] | None = None,
    getatts: Mapping[tuple[str, str], str] | None = None,
    path: Path = TEMPLATE_PATH,
) -> dict[str, str]:
    """An ``AWS::SQS::Queue``'s settings as SQS ``CreateQueue`` attributes.

    Values are resolved like ``resolve`` (``refs`` defaults to the parameter
    defaults); ``RedrivePolicy`` becomes the JSON SQS expects once its
    ``deadLetterTargetArn`` resolves (pass the dead-letter queue's ``Arn`` in
    ``getatts``). What cannot be resolved, or is left to SQS's defaults, is absent.
    """
    props = properties(logical_id, path)
    refs = parameter_defaults(path) if refs is None else refs
    getatts = getatts or {}
    attrs: dict[str, str] = {}
    for name in QUEUE_ATTRIBUTE_NAMES:
        value = resolve(props[name], refs, getatts) if name in props else None
        if value is not None:
            attrs[name] = value
    redrive = props.get("RedrivePolicy") or {}
    target = resolve(redrive.get("deadLetterTargetArn"), refs, getatts)
    count = resolve(redrive.get("maxReceiveCount"), refs, getatts)
    if target is not None and count is not None and count.isdigit():
        attrs["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": target, "maxReceiveCount": int(count)}
        )
    return attrs

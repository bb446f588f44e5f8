"""Lambda event filtering (EventBridge-style patterns), the subset the template uses.

Lambda drops stream records that match none of a function's ``FilterCriteria``
before invoking it. The local stack applies the template's own patterns with
this matcher, so what is filtered locally is what is filtered on AWS.

Supported: nested objects, exact values (strings, numbers, booleans, null),
``prefix``, ``suffix``, ``anything-but`` (a value, a list, or ``{"prefix": ...}``),
``exists``, and ``numeric`` comparisons. Anything else raises, so a pattern the
local stack cannot judge fails loudly instead of silently letting records through.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = object()

_NUMERIC_OPS = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class UnsupportedPatternError(ValueError):
    """The pattern uses a filter rule this matcher does not implement."""


def matches_any(patterns: Sequence[str | Mapping[str, Any]], record: Mapping[str, Any]) -> bool:
    """True when ``record`` matches at least one pattern (Lambda ORs the filters).

    No patterns at all means no filtering: every record goes through.
    """
    if not patterns:
        return True
    return any(matches(p, record) for p in patterns)


def matches(pattern: str | Mapping[str, Any], record: Mapping[str, Any]) -> bool:
    parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
    if not isinstance(parsed, Mapping):
        raise UnsupportedPatternError("a filter pattern must be a JSON object")
    return _match_object(parsed, record)


def _match_object(pattern: Mapping[str, Any], value: Any) -> bool:
    for key, rule in pattern.items():
        field = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
        if isinstance(rule, Mapping):
            if field is _MISSING or not _match_object(rule, field):
                return False
        elif isinstance(rule, list):
            if not _match_field(rule, field):
                return False
        else:
            raise UnsupportedPatternError(f"rule for {key!r} must be an object or a list")
    return True


def _match_field(rules: list[Any], field: Any) -> bool:
    # A list-valued field matches when any of its elements matches (EventBridge semantics).
    values = field if isinstance(field, list) else [field]
    return any(_match_rule(rule, v) for rule in rules for v in values)


def _match_rule(rule: Any, value: Any) -> bool:
    if not isinstance(rule, Mapping):
        return value is not _MISSING and _equal(rule, value)
    if len(rule) != 1:
        raise UnsupportedPatternError(f"one operator per rule, got {sorted(rule)}")
    ((op, arg),) = rule.items()
    if op == "exists":
        return (value is not _MISSING) is bool(arg)
    if value is _MISSING:
        return False
    if op == "prefix":
        return isinstance(value, str) and value.startswith(_text(arg, op))
    if op == "suffix":
        return isinstance(value, str) and value.endswith(_text(arg, op))
    if op == "anything-but":
        return _anything_but(arg, value)
    if op == "numeric":
        return _numeric(arg, value)
    raise UnsupportedPatternError(f"unsupported filter operator {op!r}")


def _anything_but(arg: Any, value: Any) -> bool:
    if isinstance(arg, Mapping):
        if set(arg) == {"prefix"}:
            return not (isinstance(value, str) and value.startswith(_text(arg["prefix"], "prefix")))
        raise UnsupportedPatternError(f"unsupported anything-but form {sorted(arg)}")
    excluded = arg if isinstance(arg, list) else [arg]
    return not any(_equal(e, value) for e in excluded)


def _numeric(arg: Any, value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if not isinstance(arg, list) or len(arg) % 2:
        raise UnsupportedPatternError("numeric takes operator/value pairs")
    for op, bound in zip(arg[::2], arg[1::2], strict=True):
        compare = _NUMERIC_OPS.get(op)
        if compare is None:
            raise UnsupportedPatternError(f"unsupported numeric operator {op!r}")
        if not compare(value, bound):
            return False
    return True


def _equal(expected: Any, value: Any) -> bool:
    if isinstance(expected, bool) or isinstance(value, bool):
        return type(expected) is type(value) and expected == value
    if expected is None:
        return value is None
    if isinstance(expected, int | float) and isinstance(value, int | float):
        return float(expected) == float(value)
    return type(expected) is type(value) and expected == value


def _text(arg: Any, op: str) -> str:
    if not isinstance(arg, str):
        raise UnsupportedPatternError(f"{op} takes a string")
    return arg

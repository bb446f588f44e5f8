"""JSON over the HTTP API: bounded request bodies in, ``{"error": ...}`` answers out.

Errors never echo the request: a body may hold a subscription's auth secret.
"""

import binascii
import json
from typing import Any, Final

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from pydantic import ValidationError

# A real subscribe request is well under 1 KB; anything much larger is not one.
MAX_BODY_BYTES: Final = 4096
# A subscribe request nests three levels; the JSON parser recurses once per level,
# so a body of brackets could otherwise exhaust the stack inside the size limit.
MAX_NESTING: Final = 16
MAX_REPORTED_ERRORS: Final = 5
# A dependency that is throttled or down: long enough for SDK-level throttling to
# pass, short enough that a browser retrying once does not give up on the reader.
RETRY_AFTER_SECONDS: Final = 5
JSON_MEDIA_TYPE: Final = content_types.APPLICATION_JSON

_QUOTE, _BACKSLASH = ord('"'), ord("\\")
_OPENERS, _CLOSERS = frozenset(b"[{"), frozenset(b"]}")


class RequestError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> Response:
    """The ``{"error": ...}`` answer; a 503 also says when to try again (``Retry-After``)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": {"code": code, "message": message}}),
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else None,
    )


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body),
        headers=headers,
    )


def describe(error: ValidationError) -> str:
    """Field and reason for each problem; never the offending input (it may be a secret)."""
    problems = []
    for err in error.errors(include_url=False, include_input=False, include_context=False):
        field = ".".join(str(p) for p in err["loc"]) or "body"
        problems.append(f"{field}: {err['msg'].removeprefix('Value error, ')}")
    extra = len(problems) - MAX_REPORTED_ERRORS
    return "; ".join(problems[:MAX_REPORTED_ERRORS]) + (f"; and {extra} more" if extra > 0 else "")


def request_json(app: APIGatewayHttpResolver) -> object:
    event = app.current_event
    raw = event.body or ""
    if raw and not declares_json(event.headers.get("content-type")):
        raise RequestError(415, "unsupported_media_type", f"request body must be {JSON_MEDIA_TYPE}")
    if len(raw) > MAX_BODY_BYTES * 2:  # cheap early bound before decoding anything
        raise RequestError(413, "body_too_large", f"request body exceeds {MAX_BODY_BYTES} bytes")
    try:
        data = (event.decoded_body or "").encode() if event.is_base64_encoded else raw.encode()
    except (binascii.Error, UnicodeError) as e:
        raise RequestError(400, "invalid_json", "request body is not valid JSON") from e
    if len(data) > MAX_BODY_BYTES:
        raise RequestError(413, "body_too_large", f"request body exceeds {MAX_BODY_BYTES} bytes")
    if _nests_deeper(data, MAX_NESTING):
        raise RequestError(
            400, "invalid_json", f"request body nests deeper than {MAX_NESTING} levels"
        )
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as e:
        raise RequestError(400, "invalid_json", "request body is not valid JSON") from e


def declares_json(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` names JSON; parameters such as a charset may follow."""
    media_type = (content_type or "").split(";", 1)[0]
    return media_type.strip().lower() == JSON_MEDIA_TYPE


def _nests_deeper(data: bytes, limit: int) -> bool:
    """Whether arrays and objects outside strings nest more than ``limit`` deep.

    A lenient scan, not a parser: malformed JSON it misjudges is refused by the parser anyway.
    """
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSERS:
            depth -= 1
    return False

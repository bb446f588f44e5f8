"""A tiny JSON client for the local stack's HTTP API (stdlib only)."""

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ApiResponse:
    status: int
    headers: Mapping[str, str]
    body: Any


def call_api(
    base: str,
    method: str,
    path: str,
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ApiResponse:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"content-type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw, status, got = resp.read(), resp.status, dict(resp.headers)
    except urllib.error.HTTPError as e:
        raw, status, got = e.read(), e.code, dict(e.headers)
    lowered = {k.lower(): v for k, v in got.items()}
    if not raw:
        return ApiResponse(status, lowered, None)
    try:
        return ApiResponse(status, lowered, json.loads(raw))
    except ValueError:
        return ApiResponse(status, lowered, raw.decode(errors="replace"))

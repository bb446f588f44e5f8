"""The push payload: what the service worker (or Safari's declarative Web Push) receives.

The shape is a contract (docs/design.md, "Contracts"): notify builds it once per
version (``stoppress.notify.payload``) and every job carries it; the sender only
encodes it, and shrinks it when a push service refuses it as too large. Size is measured on the same
compact UTF-8 encoding the sender puts on the wire (``encode_payload``), and
only the notification text is ever shortened, so the JSON always parses.
"""

import json
from collections.abc import Mapping
from copy import deepcopy
from typing import Any, Final

# What goes, in this order, before any text is cut: pictures and buttons are
# nice to have, the words are the news.
OPTIONAL_FIELDS: Final = ("image", "actions", "badge", "icon")

# The smallest plaintext limit among the big push services is about 4 KB minus
# encryption overhead; 2,700 bytes leaves room for every one of them.
MAX_PAYLOAD_BYTES: Final = 2_700
ELLIPSIS: Final = "…"
WEB_PUSH_MAGIC: Final = 8030


def article_url(site_base_url: str, article_id: str) -> str:
    return f"{site_base_url.rstrip('/')}/articles/{article_id}"


def article_tag(article_id: str) -> str:
    """Stable per article, so an update replaces the notification it follows."""
    return f"article-{article_id}"


def encode_payload(payload: Mapping[str, Any]) -> bytes:
    """The bytes the sender encrypts: compact JSON, UTF-8, no ASCII escaping."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def shrink_payload(payload: Mapping[str, Any], max_bytes: int) -> dict[str, Any]:
    """A copy of ``payload`` whose encoding fits in ``max_bytes``.

    The optional fields go first (``OPTIONAL_FIELDS``, in order); then the body
    is cut, on a word boundary with an ellipsis; only if an empty body is still
    too long is the title cut the same way. Everything else (URL, tag, ids) is
    needed by the service worker and is left whole. Raises ValueError when even
    that cannot fit.
    """
    shrunk = deepcopy(dict(payload))
    if len(encode_payload(shrunk)) <= max_bytes:
        return shrunk
    notification = shrunk["notification"]
    for name in OPTIONAL_FIELDS:
        if notification.pop(name, None) is not None and len(encode_payload(shrunk)) <= max_bytes:
            return shrunk
    for field in ("body", "title"):
        text = notification.get(field) or ""
        if not text:
            continue
        keep = _longest_fitting_prefix(shrunk, field, text, max_bytes)
        if keep is not None:
            notification[field] = _truncate(text, keep)
            return shrunk
        notification[field] = ""
    raise ValueError(f"payload cannot fit in {max_bytes} bytes even without body and title")


def smaller_payload(payload: Mapping[str, Any], at_most: int) -> dict[str, Any] | None:
    """A genuinely smaller copy of ``payload``, for one retry after a push service refused it.

    The optional fields go, half the body's encoded text is cut, and the whole
    payload to at most ``at_most`` bytes, though never below what it needs without
    its body: so the title is kept and the fixed fields always fit, however short
    the payload. With no body, the title is halved instead. None when there is no text left to cut.
    """
    payload = without_optional_fields(payload)
    size = len(encode_payload(payload))
    notification = payload["notification"]
    for field in ("body", "title"):
        if not notification.get(field):
            continue
        without = dict(payload, notification=dict(notification, **{field: ""}))
        floor = len(encode_payload(without))
        text_bytes = size - floor
        limit = max(floor, min(at_most, size - (text_bytes + 1) // 2))
        return shrink_payload(payload, limit)
    return None


def without_optional_fields(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``payload`` with only the text and the fields the worker needs."""
    notification = {k: v for k, v in payload["notification"].items() if k not in OPTIONAL_FIELDS}
    return dict(payload, notification=notification)


def _longest_fitting_prefix(
    payload: dict[str, Any], field: str, text: str, max_bytes: int
) -> int | None:
    """Largest n such that the payload with ``_truncate(text, n)`` in ``field`` fits."""
    notification = payload["notification"]

    def fits(n: int) -> bool:
        notification[field] = _truncate(text, n)
        return len(encode_payload(payload)) <= max_bytes

    if not fits(0):
        return None
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if fits(mid):
            low = mid
        else:
            high = mid - 1
    return low


def _truncate(text: str, n: int) -> str:
    """``text`` cut to at most ``n`` characters on a word boundary, with an ellipsis."""
    if n >= len(text):
        return text
    if n <= 0:
        return ""
    cut = text[:n]
    if not text[n].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"), cut.rfind("\t"))
        # One long "word" (a URL, a name in a script without spaces) is cut mid-word
        # rather than dropped entirely.
        if space > 0:
            cut = cut[:space]
    cut = cut.rstrip().rstrip(",;:-–—")
    if not cut:
        return ""
    return cut + ELLIPSIS

"""Web Push request headers that carry meaning (RFC 8030 §5): Urgency and Topic."""

import hashlib
from enum import StrEnum
from typing import Annotated, Final

from pydantic import Field

from stoppress.core import base64url

TOPIC_HEADER_LENGTH: Final = 32
# RFC 8030 §5.4: the Topic header is at most 32 characters of the base64url alphabet.
TopicHeader = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]


class Urgency(StrEnum):
    """RFC 8030 Urgency values."""

    VERY_LOW = "very-low"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


def topic_header(key: str) -> str:
    """RFC 8030 Topic for ``key``: at most 32 base64url characters, stable per key.

    A push service keeps only the newest queued message per Topic, so an update
    replaces a still-undelivered earlier version instead of arriving after it.
    """
    digest = hashlib.sha256(key.encode()).digest()
    return base64url.encode(digest)[:TOPIC_HEADER_LENGTH]

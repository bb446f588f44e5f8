"""Building the push payload for a version (the shape is ``stoppress.contracts.payload``)."""

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from stoppress.articles.model import ChangeKind, Version
from stoppress.contracts.payload import (
    MAX_PAYLOAD_BYTES,
    WEB_PUSH_MAGIC,
    article_tag,
    article_url,
    shrink_payload,
)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def build_payload(
    version: Version, *, site_base_url: str, max_bytes: int = MAX_PAYLOAD_BYTES
) -> dict[str, Any]:
    """The contract payload for ``version``, encoded size at most ``max_bytes``."""
    # When this version was posted, not the file's own "updated" date: that one is
    # editor-typed, often stale or date-only, and would make fresh news look old.
    when = version.created_at
    payload: dict[str, Any] = {
        "web_push": WEB_PUSH_MAGIC,
        "notification": {
            "title": version.headline,
            "body": version.summary,
            "navigate": article_url(site_base_url, version.article_id),
            "tag": article_tag(version.article_id),
            "timestamp": (when - _EPOCH) // timedelta(milliseconds=1),
            "lang": "en",
        },
        "article": {
            "id": version.article_id,
            "version": version.number,
            # The service worker only tells a first alert from a replacement
            # (it sets renotify for the latter); corrections that reach it are updates.
            "change": "new" if version.change is ChangeKind.NEW else "update",
        },
    }
    return shrink_payload(payload, max_bytes)

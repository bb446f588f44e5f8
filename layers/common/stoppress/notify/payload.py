"""Building the push payload for a version (the shape is ``stoppress.contracts.payload``).

What a reader sees (docs/design.md, "What readers see"): a new story shows its
headline and summary; an update shows its headline and the change line, what
is new since the version its followers were last pushed. The site's icon and
badge, the article's image and language, and "Read" / "Unfollow story"
buttons come with it; high urgency keeps the notification on screen.
"""

from dataclasses import dataclass
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
from stoppress.webpush.headers import Urgency

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_LANG: Final = "en"
READ_ACTION: Final = "read"
UNFOLLOW_ACTION: Final = "unfollow"


@dataclass(frozen=True)
class SiteLook:
    """The site's own images for every notification: absolute https URLs, or None."""

    icon: str | None = None
    badge: str | None = None


def build_payload(
    version: Version,
    *,
    site_base_url: str,
    look: SiteLook | None = None,
    to_followers: bool = False,
    urgency: Urgency | None = None,
    covers: int | None = None,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> dict[str, Any]:
    """The contract payload for ``version``, encoded size at most ``max_bytes``.

    ``to_followers``: the push goes to the story's followers, who get an
    "Unfollow story" button. ``urgency``: the push's (defaults to the version's).
    ``covers``: the push stands for that many updates held back in a cooldown
    window; the body says so before the latest one's change line.
    """
    look = look or SiteLook()
    # When this version was posted, not the file's own "updated" date: that one is
    # editor-typed, often stale or date-only, and would make fresh news look old.
    # An embargoed story is news from its embargo on, not from when it was stored.
    when = max(version.created_at, version.embargo_until or version.created_at)
    url = article_url(site_base_url, version.article_id)
    is_new = version.change is ChangeKind.NEW
    body = version.summary if is_new else (version.change_line or version.summary)
    several = not is_new and covers is not None and covers > 1
    if several:
        body = f"Latest of {covers} updates: {body}"
    notification: dict[str, Any] = {
        "title": version.headline,
        "body": body,
        "navigate": url,
        "tag": article_tag(version.article_id),
        "timestamp": (when - _EPOCH) // timedelta(milliseconds=1),
        "lang": version.lang or DEFAULT_LANG,
    }
    if look.icon:
        notification["icon"] = look.icon
    if look.badge:
        notification["badge"] = look.badge
    if version.image:
        notification["image"] = version.image
    if (urgency or version.urgency) is Urgency.HIGH:
        notification["requireInteraction"] = True
    actions: list[dict[str, str]] = [{"action": READ_ACTION, "title": "Read", "navigate": url}]
    if to_followers:
        actions.append({"action": UNFOLLOW_ACTION, "title": "Unfollow story"})
    notification["actions"] = actions
    article: dict[str, Any] = {
        "id": version.article_id,
        "version": version.number,
        # The service worker only tells a first alert from a replacement
        # (it sets renotify for the latter); corrections that reach it are updates.
        "change": "new" if is_new else "update",
    }
    if not is_new and version.compared_with is not None:
        article["previous_version"] = version.compared_with
    if several:
        article["updates"] = covers
    payload = {"web_push": WEB_PUSH_MAGIC, "notification": notification, "article": article}
    return shrink_payload(payload, max_bytes)

"""Counting what readers do with a notification, without knowing who they are.

A click on a notification (its body or "Read") and an "Unfollow story" each add one to
a counter on the version's ``DELIVERY#<n>`` item, beside the delivery counts, so a
version's click rate is clicks / sent. An event is a counter, never a row of its own: a
flood of them cannot grow the table. Nothing about the reader is asked for, stored or
logged with one (no subscription, endpoint, address or user agent): knowing that a
version was clicked does not need knowing by whom.

Only versions that exist are counted. The story's HEAD item names its latest version,
and versions are numbered from 1 without gaps, so one read of it settles the question.
The counters are a port (``EngagementCounters``); the DynamoDB adapter is
``stoppress.subscribe.engagement_table.EngagementTable``.
"""

from typing import Protocol

from stoppress.contracts.engagement import EngagementAction
from stoppress.core.errors import UnknownVersionError
from stoppress.subscribe.requests import EngagementRequest

NO_SUCH_ARTICLE = "article_id: no article has this id"


class EngagementCounters(Protocol):
    def latest_version(self, article_id: str) -> int | None:
        """The story's latest version number; None when no such story was stored."""
        ...

    def add(self, article_id: str, version: int, action: EngagementAction) -> None:
        """Add one to the version's counter for ``action``."""
        ...


def count_engagement(request: EngagementRequest, counters: EngagementCounters) -> None:
    """Count ``request``'s action on its version.

    Raises ``UnknownVersionError`` (with a reason) for a story or version never
    stored, and counts nothing then.
    """
    latest = counters.latest_version(request.article_id)
    if latest is None:
        raise UnknownVersionError(NO_SUCH_ARTICLE)
    if request.version > latest:
        raise UnknownVersionError(
            f"version: the article has no version {request.version}; its latest is {latest}"
        )
    counters.add(request.article_id, request.version, request.action)

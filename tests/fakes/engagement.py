"""Engagement counters in memory: a stand-in for subscribe's ``EngagementCounters``."""

from collections import Counter
from dataclasses import dataclass, field

from stoppress.contracts.engagement import EngagementAction


@dataclass
class FakeEngagementCounters:
    """``heads``: article id -> its latest version; ``counts``: what was added, per
    (article id, version, action)."""

    heads: dict[str, int] = field(default_factory=dict)
    counts: Counter[tuple[str, int, str]] = field(default_factory=Counter)

    def latest_version(self, article_id: str) -> int | None:
        return self.heads.get(article_id)

    def add(self, article_id: str, version: int, action: EngagementAction) -> None:
        self.counts[(article_id, version, action)] += 1

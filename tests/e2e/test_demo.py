"""`stoppress demo` end to end, and its judgement of what the browsers received."""

import io
from dataclasses import dataclass, field
from typing import Any, cast

from rich.console import Console

from stoppress.webpush.headers import topic_header
from stoppress_dev import demo
from stoppress_dev.pushservice import Subscriber


def test_demo_runs_and_every_browser_gets_what_it_subscribed_to() -> None:
    out = io.StringIO()
    assert demo.run_demo(console=Console(file=out, width=160)) == 0
    text = out.getvalue()
    assert "11 notifications delivered to 4 browsers as expected" in text
    for name in ("Ada", "Ben", "Chloe", "Dev"):
        assert f"{name} — subscribed to" in text
    assert "version 3 (correction, none) → no push" in text


@dataclass
class FakeDelivery:
    payload: dict[str, Any]
    headers: dict[str, str]


@dataclass
class FakeSubscriber:
    deliveries: list[FakeDelivery] = field(default_factory=list)


def received(*deliveries: FakeDelivery) -> Subscriber:
    """A subscriber as demo._check sees it, which reads nothing but its deliveries."""
    return cast(Subscriber, FakeSubscriber(list(deliveries)))


def delivery(article_id: str, version: int, title: str) -> FakeDelivery:
    return FakeDelivery(
        payload={
            "notification": {"title": title, "tag": f"article-{article_id}"},
            "article": {"id": article_id, "version": version},
        },
        headers={"topic": topic_header(article_id)},
    )


def test_check_reports_missing_unexpected_and_duplicate_pushes() -> None:
    story = demo.STORY
    histories = {
        story: [
            {"number": 1, "change": "new", "audience": "all", "headline": "H1"},
            {"number": 2, "change": "update", "audience": "followers", "headline": "H2"},
            {"number": 3, "change": "correction", "audience": "none", "headline": "H2"},
        ]
    }
    everyone, follower = demo.BROWSERS[0], demo.BROWSERS[3]
    good = received(delivery(story, 1, "H1"))
    assert demo._check(histories, [(good, everyone)], []) == []

    wrong = received(delivery(story, 2, "H2"), delivery(story, 2, "H2"))
    problems = demo._check(histories, [(wrong, everyone), (received(), follower)], [])
    assert f"Ada did not get {story} v1" in problems
    assert f"Ada got {story} v2, which was not for them" in problems
    assert f"Ada got {story} v2 2 times" in problems
    assert f"Dev did not get {story} v2" in problems

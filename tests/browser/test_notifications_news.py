"""News notifications in real headless Chromium: what sw.js shows for a push, and what a
reader's click on a notification's button does.

Pushes arrive over CDP (``ServiceWorker.deliverPushMessage``), and each check
reads ``registration.getNotifications()`` only after the worker's
``showNotification()`` has settled. The clicks are real: Chromium with a
persistent profile hands its notifications to a notification server on a
private D-Bus session bus (tests/fakes/desktop_notifications.py), which clicks
"Unfollow story" as a desktop would; Chromium then fires a trusted
``notificationclick`` in the worker, and the worker calls the local stack's API, which
also counts the click or the unfollow on the version's DELIVERY item.
"""

import functools
import http.server
import json
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from stoppress.core import base64url
from stoppress_dev.http_front import WEB_ROOT
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService, Subscriber
from tests.browser.support import (
    FAKE_SUBSCRIBE,
    READ_NOTIFICATIONS,
    ServiceWorkerPush,
    engagement,
    member_topics,
    stored_topics,
    wait_for,
)
from tests.e2e.apiclient import call_api
from tests.fakes.desktop_notifications import DesktopNotification, NotificationServer

pytestmark = pytest.mark.browser

STORY = "nato-resumes-contacts"
OTHER_STORY = "ceasefire-talks"
HEADLINE = "NATO Will Resume Top-Level Contacts"
CHANGE_LINE = "Russia said it would send a delegation to Brussels next week."
POSTED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _png(width: int, height: int) -> bytes:
    """A small grey PNG, so the browser has real images to load for icon, badge and image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


IMAGES = {"/icon.png": _png(192, 192), "/badge.png": _png(72, 72), "/lead.png": _png(320, 180)}


class _SiteHandler(http.server.SimpleHTTPRequestHandler):
    """web/ as the site serves it, a blank page at / and the notification images."""

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._answer(b"<!doctype html><title>The Stop Press</title>", "text/html")
        elif path in IMAGES:
            self._answer(IMAGES[path], "image/png")
        elif path in ("/sw.js", "/stoppress.js"):
            super().do_GET()
        else:
            self.send_error(404)

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The site's worker and images on loopback (a secure context, as https would be)."""
    handler = functools.partial(_SiteHandler, directory=str(WEB_ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="test-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Worker:
    page: Any
    push: ServiceWorkerPush

    def deliver(self, data: dict[str, Any] | str) -> list[dict[str, Any]]:
        """Deliver a push; once the worker has shown it, what the browser lists."""
        self.push.deliver_and_wait(data if isinstance(data, str) else json.dumps(data))
        shown: list[dict[str, Any]] = self.page.evaluate(READ_NOTIFICATIONS)
        return shown


@pytest.fixture
def worker(chromium: Any, site: str) -> Iterator[Worker]:
    context = chromium.new_context()
    context.grant_permissions(["notifications"], origin=site)
    page = context.new_page()
    try:
        page.goto(f"{site}/")
        page.evaluate("navigator.serviceWorker.register('/sw.js')")
        page.evaluate("navigator.serviceWorker.ready")
        yield Worker(page, ServiceWorkerPush(page, site))
    finally:
        context.close()


def news_push(
    site: str,
    *,
    story: str = STORY,
    change: str = "new",
    version: int = 1,
    body: str = "NATO said Monday it would resume top-level contacts.",
    **notification: Any,
) -> dict[str, Any]:
    """A push in the contract's shape; ``notification`` adds or replaces fields."""
    article: dict[str, Any] = {"id": story, "version": version, "change": change}
    if version > 1:
        article["previous_version"] = version - 1
    return {
        "web_push": 8030,
        "notification": {
            "title": HEADLINE,
            "body": body,
            "navigate": f"{site}/articles/{story}",
            "tag": f"article-{story}",
            "timestamp": int(POSTED.timestamp() * 1000) + version,
            "lang": "en",
            **notification,
        },
        "article": article,
    }


def follower_actions(site: str, story: str = STORY) -> list[dict[str, str]]:
    return [
        {"action": "read", "title": "Read", "navigate": f"{site}/articles/{story}"},
        {"action": "unfollow", "title": "Unfollow story"},
    ]


# -- what the worker shows ----------------------------------------------------------------


def test_an_update_shows_the_change_line_images_actions_and_language(
    worker: Worker, site: str
) -> None:
    payload = news_push(
        site,
        change="update",
        version=3,
        body=CHANGE_LINE,
        lang="de",
        icon=f"{site}/icon.png",
        badge=f"{site}/badge.png",
        image=f"{site}/lead.png",
        requireInteraction=True,
        actions=follower_actions(site),
    )
    [shown] = worker.deliver(payload)

    assert shown["title"] == HEADLINE
    assert shown["body"] == CHANGE_LINE
    assert shown["lang"] == "de"
    assert (shown["icon"], shown["badge"], shown["image"]) == (
        f"{site}/icon.png",
        f"{site}/badge.png",
        f"{site}/lead.png",
    )
    assert shown["requireInteraction"] is True
    assert shown["actions"] == [
        {"action": "read", "title": "Read"},
        {"action": "unfollow", "title": "Unfollow story"},
    ]
    assert shown["tag"] == f"article-{STORY}"
    assert shown["renotify"] is True
    assert shown["timestamp"] == payload["notification"]["timestamp"]
    assert shown["data"]["navigate"] == f"{site}/articles/{STORY}"
    assert shown["data"]["actions"]["read"] == f"{site}/articles/{STORY}"
    assert shown["data"]["article"] == {"id": STORY, "version": 3, "change": "update"}


def test_optional_fields_left_out_are_not_shown(worker: Worker, site: str) -> None:
    [shown] = worker.deliver(news_push(site))
    assert shown["body"] == "NATO said Monday it would resume top-level contacts."
    assert shown["lang"] == "en"
    assert (shown["icon"], shown["badge"], shown["image"]) == ("", "", "")
    assert shown["requireInteraction"] is False
    assert shown["actions"] == []
    assert shown["renotify"] is False


def test_an_update_replaces_the_earlier_notification_of_the_same_story(
    worker: Worker, site: str
) -> None:
    worker.deliver(news_push(site))
    worker.deliver(news_push(site, story=OTHER_STORY, body="Talks begin in Geneva."))
    shown = worker.deliver(
        news_push(
            site, change="update", version=2, body=CHANGE_LINE, actions=follower_actions(site)
        )
    )

    by_tag = {n["tag"]: n for n in shown}
    assert len(shown) == len(by_tag) == 2  # one notification per story
    update = by_tag[f"article-{STORY}"]
    assert update["body"] == CHANGE_LINE
    assert update["renotify"] is True
    assert update["data"]["article"]["version"] == 2
    assert by_tag[f"article-{OTHER_STORY}"]["body"] == "Talks begin in Geneva."


MALFORMED = {
    "not json": "NATO resumes contacts",
    "json but no notification": json.dumps({"web_push": 8030, "article": {"id": STORY}}),
    "no title": json.dumps({"notification": {"body": CHANGE_LINE, "tag": "article-x"}}),
    "title of the wrong type": json.dumps({"notification": {"title": ["NATO"], "tag": 7}}),
    "notification not an object": json.dumps({"notification": [HEADLINE]}),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_push_still_shows_a_notification(worker: Worker, data: str) -> None:
    [shown] = worker.deliver(data)
    assert shown["title"] == "127.0.0.1"  # no page saved the site's name
    assert shown["body"] == "New update"
    assert shown["tag"] == ""


def test_a_malformed_push_is_titled_with_the_site_name_the_page_saved(
    worker: Worker, site: str
) -> None:
    worker.page.evaluate(
        """async (site) => {
          const cache = await caches.open("stoppress");
          await cache.put("/stoppress-state.json", new Response(JSON.stringify(
            { api: site, site: "The Stop Press", topics: ["all"] })));
        }""",
        site,
    )
    [shown] = worker.deliver("{")
    assert (shown["title"], shown["body"]) == ("The Stop Press", "New update")


# -- a reader's click, for real ------------------------------------------------------------

# The worker's PushManager stands in for the one headless Chromium cannot subscribe:
# it hands out the test browser's endpoint and auth secret.
FAKE_WORKER_SUBSCRIPTION = """
([endpoint, auth]) => {
  const secret = Uint8Array.from(atob(auth.replace(/-/g, "+").replace(/_/g, "/")), (c) =>
    c.charCodeAt(0));
  PushManager.prototype.getSubscription = async () => ({
    endpoint,
    getKey: (name) => (name === "auth" ? secret.buffer : null),
  });
}
"""


def subscribe_through_the_prompt(
    context: Any, stack: LocalStack, browser_sub: Subscriber
) -> tuple[Any, ServiceWorkerPush]:
    """The reader turns notifications on and follows the story on the article page."""
    site = stack.state.web_url
    context.grant_permissions(["notifications"], origin=site)
    context.add_init_script(FAKE_SUBSCRIBE % json.dumps(browser_sub.subscription_info()))
    page = context.new_page()
    page.goto(f"{site}/articles/{STORY}")
    page.evaluate("window.stoppress.ready")
    prompt = page.get_by_role("region", name="Get the latest updates as we post them")
    prompt.get_by_role("button", name="Turn on notifications").click()
    wait_for(lambda: stored_topics(stack, browser_sub) == ["all"], what="the subscription")
    prompt.get_by_role("button", name="Follow this story").click()
    wait_for(
        lambda: stored_topics(stack, browser_sub) == ["all", f"article:{STORY}"],
        what="the follow",
    )
    sw = ServiceWorkerPush(page, site)
    sw.worker().evaluate(
        FAKE_WORKER_SUBSCRIPTION,
        [browser_sub.endpoint, base64url.encode(browser_sub.auth_secret)],
    )
    return page, sw


def show_on_desktop(
    sw: ServiceWorkerPush, desktop: NotificationServer, payload: dict[str, Any]
) -> DesktopNotification:
    """Push ``payload`` until its notification is open on the desktop (see ``deliver``)."""
    title = payload["notification"]["title"]
    for _ in range(3):
        sw.send(json.dumps(payload))
        try:
            [shown] = desktop.wait_for(
                lambda ns: [n for n in ns if n.summary == title and not n.closed],
                timeout=5,
                what=title,
            )
        except AssertionError:
            continue  # a message headless Chromium dropped: send it again
        return shown
    raise AssertionError(f"{title!r} never reached the desktop")


def publish_story_and_update(stack: LocalStack, upload: Callable[[str, str], None]) -> None:
    """Versions 1 and 2 of the story, stored before anyone subscribes (so nobody is pushed)."""
    for sample in (f"{STORY}.txt", f"{STORY}-update.txt"):
        upload(sample, f"articles/{STORY}.txt")
        stack.wait_idle(timeout=30)


def counted_once(stack: LocalStack, version: int, expected: dict[str, int]) -> None:
    """The version's counts reach ``expected`` and stay there (no second count follows)."""
    wait_for(lambda: engagement(stack, STORY, version) == expected, what=f"the counts {expected}")
    settle = time.monotonic() + 1.5
    while time.monotonic() < settle:
        assert engagement(stack, STORY, version) == expected
        time.sleep(0.1)


def test_unfollow_story_on_the_notification_removes_only_that_follow(
    desktop_chromium: Any,
    notification_server: tuple[str, NotificationServer],
    stack: LocalStack,
    push: PushService,
    upload: Callable[[str, str], None],
) -> None:
    _, desktop = notification_server
    site = stack.state.web_url
    publish_story_and_update(stack, upload)
    reader, other_follower = push.new_subscriber("reader"), push.new_subscriber("other")
    page, sw = subscribe_through_the_prompt(desktop_chromium, stack, reader)
    # Another browser follows the same story; its follow must stay.
    body = {"subscription": other_follower.subscription_info(), "topics": [f"article:{STORY}"]}
    assert call_api(stack.state.api_url, "POST", "/subscriptions", body).status == 201

    payload = news_push(
        site,
        change="update",
        version=2,
        body=CHANGE_LINE,
        requireInteraction=True,
        actions=follower_actions(site),
    )
    notification = show_on_desktop(sw, desktop, payload)
    assert CHANGE_LINE in notification.body
    assert list(notification.actions.values())[:2] == ["Read", "Unfollow story"]

    pages = len(desktop_chromium.pages)
    desktop.click(notification, "Unfollow story")

    wait_for(lambda: stored_topics(stack, reader) == ["all"], what="the unfollow")
    assert member_topics(stack, reader) == ["all"]
    assert stored_topics(stack, other_follower) == [f"article:{STORY}"]
    assert member_topics(stack, other_follower) == [f"article:{STORY}"]
    # Done: the worker closed the notification, and remembers the topics it still has.
    desktop.wait_for(lambda _: notification.closed, what="the notification to close")
    state = page.evaluate(
        """async () => (await (await caches.open("stoppress")).match("/stoppress-state.json"))
            .json()"""
    )
    assert state["topics"] == ["all"]
    assert len(desktop_chromium.pages) == pages  # unfollowing opens nothing
    # Counted on the version the notification showed, as an unfollow, not a click.
    counted_once(stack, 2, {"clicks": 0, "unfollows": 1})
    assert engagement(stack, STORY, 1) == {"clicks": 0, "unfollows": 0}


def test_a_click_on_the_notification_opens_the_article(
    desktop_chromium: Any,
    notification_server: tuple[str, NotificationServer],
    stack: LocalStack,
    push: PushService,
) -> None:
    _, desktop = notification_server
    site = stack.state.web_url
    reader = push.new_subscriber("reader")
    _, sw = subscribe_through_the_prompt(desktop_chromium, stack, reader)

    payload = news_push(site, story=OTHER_STORY, actions=follower_actions(site, OTHER_STORY))
    notification = show_on_desktop(sw, desktop, payload)
    with desktop_chromium.expect_page() as opened:
        desktop.click(notification, "Read")
    assert opened.value.url == f"{site}/articles/{OTHER_STORY}"
    desktop.wait_for(lambda _: notification.closed, what="the notification to close")
    assert stored_topics(stack, reader) == ["all", f"article:{STORY}"]


def test_a_click_on_a_notification_is_counted_once_for_its_version(
    desktop_chromium: Any,
    notification_server: tuple[str, NotificationServer],
    stack: LocalStack,
    push: PushService,
    upload: Callable[[str, str], None],
) -> None:
    _, desktop = notification_server
    site = stack.state.web_url
    publish_story_and_update(stack, upload)
    reader = push.new_subscriber("reader")
    page, sw = subscribe_through_the_prompt(desktop_chromium, stack, reader)
    page.goto(f"{site}/articles/rail-strike-talks")  # another story: the click opens this one

    payload = news_push(site, actions=follower_actions(site))  # version 1, as first pushed
    notification = show_on_desktop(sw, desktop, payload)
    with desktop_chromium.expect_page() as opened:
        desktop.click(notification)  # the notification itself, not a button
    assert opened.value.url == f"{site}/articles/{STORY}"

    counted_once(stack, 1, {"clicks": 1, "unfollows": 0})
    assert engagement(stack, STORY, 2) == {"clicks": 0, "unfollows": 0}
    assert stored_topics(stack, reader) == ["all", f"article:{STORY}"]

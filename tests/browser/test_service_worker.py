"""The browser client in real headless Chromium against the local stack.

Headless Chromium refuses ``pushManager.subscribe()``, so the page's
PushManager hands out a subscription whose ``toJSON()`` is a real simulated
browser's (the local push service holds its keys). The pushes themselves come
from the real send path: the push service decrypts what SendFunction sent, and
CDP ``ServiceWorker.deliverPushMessage`` hands that payload to the worker.
"""

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stoppress_dev.localstack import PROJECT_ROOT, LocalStack
from stoppress_dev.pushservice import PushService
from tests.browser.support import (
    FAKE_SUBSCRIBE,
    READ_NOTIFICATIONS,
    ServiceWorkerPush,
    stored_topics,
    wait_for,
)

pytestmark = pytest.mark.browser

STORY = "nato-resumes-contacts"
KEY = f"articles/{STORY}.txt"
# The README's screenshot; refreshed only when asked (STOPPRESS_SCREENSHOT=1), so a
# test run leaves the checkout as it found it.
SCREENSHOT = PROJECT_ROOT / "docs" / "demo-page.png"


def test_prompt_subscribes_and_worker_shows_real_pushes(
    chromium: Any,
    stack: LocalStack,
    push: PushService,
    upload: Callable[[str, str], None],
    tmp_path: Path,
) -> None:
    site = stack.state.web_url
    browser_sub = push.new_subscriber("chromium")
    context = chromium.new_context(viewport={"width": 960, "height": 900}, locale="en-GB")
    context.grant_permissions(["notifications"], origin=site)
    context.add_init_script(FAKE_SUBSCRIBE % json.dumps(browser_sub.subscription_info()))
    page = context.new_page()
    try:
        page.goto(f"{site}/articles/{STORY}")
        page.evaluate("window.stoppress.ready")
        state = page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.state)")
        assert state in ("activating", "activated")
        prompt = page.get_by_role("region", name="Get the latest updates as we post them")
        turn_on = prompt.get_by_role("button", name="Turn on notifications")
        assert turn_on.is_visible()
        refresh = os.environ.get("STOPPRESS_SCREENSHOT") == "1"
        shot = SCREENSHOT if refresh else tmp_path / "page.png"
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000

        # Subscribe through the prompt: the API stores the browser's subscription.
        turn_on.click()
        assert wait_for(lambda: stored_topics(stack, browser_sub), what="the SUB item") == ["all"]
        assert page.evaluate("window.__subscribeCalls") == 1
        key = bytes(page.evaluate("window.__applicationServerKey"))
        assert len(key) == 65  # the stack's VAPID key: an uncompressed P-256 point
        assert key[0] == 4
        prompt.get_by_role("button", name="Follow this story").click()
        wait_for(
            lambda: stored_topics(stack, browser_sub) == ["all", f"article:{STORY}"],
            what="the follow topic",
        )
        page.get_by_text("You'll get our latest news, and updates to this story.").wait_for()

        # The story goes through the real pipeline; the push service decrypts it.
        upload(f"{STORY}.txt", KEY)
        stack.wait_idle(timeout=30)
        first = wait_for(lambda: browser_sub.deliveries, what="the first push")[0].payload
        sw = ServiceWorkerPush(page, site)
        sw.deliver(first, lambda: bool(page.evaluate(READ_NOTIFICATIONS)))
        shown = page.evaluate(READ_NOTIFICATIONS)
        assert len(shown) == 1
        assert shown[0]["title"] == first["notification"]["title"]
        assert shown[0]["title"] == "NATO Will Resume Top-Level Contacts"
        assert shown[0]["body"] == first["notification"]["body"]
        assert shown[0]["tag"] == f"article-{STORY}"
        assert shown[0]["renotify"] is False
        assert shown[0]["data"]["navigate"] == f"{site}/articles/{STORY}"

        # The update replaces the notification (same tag) and alerts again.
        upload(f"{STORY}-update.txt", KEY)
        stack.wait_idle(timeout=30)
        deliveries = wait_for(lambda: len(browser_sub.deliveries) >= 2 and browser_sub.deliveries)
        second = deliveries[1].payload
        assert second["article"]["change"] == "update"
        sw.deliver(
            second,
            lambda: any(
                n["title"] == second["notification"]["title"]
                for n in page.evaluate(READ_NOTIFICATIONS)
            ),
        )
        shown = page.evaluate(READ_NOTIFICATIONS)
        assert len(shown) == 1
        assert shown[0]["tag"] == f"article-{STORY}"
        assert shown[0]["renotify"] is True

        # Turning notifications off removes the subscription from the table.
        follow = prompt.get_by_role("button", name="Follow this story")
        assert follow.get_attribute("aria-pressed") == "true"
        follow.click()
        wait_for(lambda: stored_topics(stack, browser_sub) == ["all"], what="unfollow")
        prompt.get_by_role("button", name="Turn off notifications").click()
        wait_for(lambda: stored_topics(stack, browser_sub) is None, what="unsubscribe")
    finally:
        context.close()


# Headless Chromium has no permission prompt (requestPermission never settles unless the
# permission is granted), so the reader's "no" is played by the page's Notification object.
SAYS_NO = """
(() => {
  let permission = "default";
  Object.defineProperty(Notification, "permission", { get: () => permission });
  Notification.requestPermission = async () => (permission = "denied");
})();
"""
ALREADY_BLOCKED = """
Object.defineProperty(Notification, "permission", { get: () => "denied" });
"""
NO_PUSH = "delete window.PushManager;"


@pytest.mark.parametrize(
    ("init_script", "click", "message"),
    [
        (NO_PUSH, False, "can't show push notifications"),
        (ALREADY_BLOCKED, False, "Notifications are blocked for this site"),
        (SAYS_NO, True, "Notifications are blocked for this site"),
    ],
    ids=["push-unsupported", "already-blocked", "reader-says-no"],
)
def test_prompt_states_when_notifications_cannot_be_shown(
    chromium: Any, stack: LocalStack, init_script: str, click: bool, message: str
) -> None:
    context = chromium.new_context()
    context.add_init_script(init_script)
    page = context.new_page()
    try:
        page.goto(f"{stack.state.web_url}/articles/{STORY}")
        page.evaluate("window.stoppress.ready")
        turn_on = page.get_by_role("button", name="Turn on notifications")
        if click:
            turn_on.click()
        page.get_by_role("status").filter(has_text=message).wait_for(timeout=15000)
        assert not turn_on.is_visible()
        assert not page.get_by_role("button", name="Follow this story").is_visible()
    finally:
        context.close()

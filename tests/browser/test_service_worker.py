"""The browser client in real headless Chromium against the local stack.

Headless Chromium refuses ``pushManager.subscribe()``, so the page's
PushManager hands out a subscription whose ``toJSON()`` is a real simulated
browser's (the local push service holds its keys). The pushes themselves come
from the real send path: the push service decrypts what SendFunction sent, and
CDP ``ServiceWorker.deliverPushMessage`` hands that payload to the worker.
"""

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from stoppress.contracts.keys import subscription_id
from stoppress_dev.localstack import PROJECT_ROOT, LocalStack
from stoppress_dev.pushservice import PushService, Subscriber

pytestmark = pytest.mark.browser

STORY = "nato-resumes-contacts"
KEY = f"articles/{STORY}.txt"
# The README's screenshot; refreshed only when asked (STOPPRESS_SCREENSHOT=1), so a
# test run leaves the checkout as it found it.
SCREENSHOT = PROJECT_ROOT / "docs" / "demo-page.png"

# Runs before the page's scripts: PushManager.subscribe answers with the test browser's keys.
FAKE_SUBSCRIBE = """
(() => {
  const info = %s;
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeCalls = (window.__subscribeCalls || 0) + 1;
    window.__applicationServerKey = Array.from(new Uint8Array(options.applicationServerKey));
    return {
      endpoint: info.endpoint,
      options,
      toJSON() { return info; },
      unsubscribe: async () => true,
    };
  };
})();
"""

READ_NOTIFICATIONS = """
async () => {
  const registration = await navigator.serviceWorker.ready;
  const shown = await registration.getNotifications();
  return shown.map((n) => ({
    title: n.title, body: n.body, tag: n.tag, renotify: n.renotify, lang: n.lang, data: n.data,
  }));
}
"""


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stored_topics(stack: LocalStack, sub: Subscriber) -> list[str] | None:
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    sub_id = subscription_id(sub.endpoint)
    item = ddb.get_item(
        TableName=stack.state.table, Key={"pk": {"S": f"SUB#{sub_id}"}, "sk": {"S": "SUB"}}
    ).get("Item")
    return sorted(t["S"] for t in item["topics"]["L"]) if item else None


class ServiceWorkerPush:
    """Deliver push payloads to the page's service worker over CDP."""

    def __init__(self, page: Any, origin: str) -> None:
        self.origin = origin
        self.page = page
        self.registrations: dict[str, dict[str, Any]] = {}
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.on("ServiceWorker.workerRegistrationUpdated", self._updated)
        self.cdp.send("ServiceWorker.enable")

    def _updated(self, params: dict[str, Any]) -> None:
        for reg in params["registrations"]:
            if not reg.get("isDeleted"):
                self.registrations[reg["registrationId"]] = reg

    def registration_id(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for reg_id, reg in self.registrations.items():
                if reg["scopeURL"].startswith(self.origin):
                    return reg_id
            self.page.wait_for_timeout(100)  # lets Playwright dispatch CDP events
        raise AssertionError("no service worker registration reported over CDP")

    def deliver(self, payload: dict[str, Any], shown: Callable[[], bool]) -> None:
        """Deliver ``payload`` until ``shown()`` says the worker displayed it.

        Headless Chromium now and then drops a message delivered over CDP (about
        one in ten, whatever the worker does); the same message again arrives.
        A worker that cannot show it fails every attempt.
        """
        reg_id = self.registration_id()
        for _ in range(3):
            self.cdp.send(
                "ServiceWorker.deliverPushMessage",
                {"origin": self.origin, "registrationId": reg_id, "data": json.dumps(payload)},
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if shown():
                    return
                self.page.wait_for_timeout(100)
        raise AssertionError(f"the worker did not show {payload['notification']['title']!r}")


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

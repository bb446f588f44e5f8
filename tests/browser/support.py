"""What the browser tests share: waiting, the page's stand-in PushManager, pushes over CDP."""

import json
import time
from collections.abc import Callable
from typing import Any

import boto3

from stoppress.contracts.engagement import ENGAGEMENT_COUNTERS
from stoppress.contracts.keys import (
    TOPIC_PK_PREFIX,
    article_pk,
    delivery_sk,
    subscription_id,
    topic_member_sk,
)
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import Subscriber

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
    icon: n.icon, badge: n.badge, image: n.image, requireInteraction: n.requireInteraction,
    timestamp: n.timestamp, actions: n.actions.map((a) => ({ action: a.action, title: a.title })),
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


def _table(stack: LocalStack) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def stored_topics(stack: LocalStack, sub: Subscriber) -> list[str] | None:
    """The topics on the browser's SUB item, sorted; None when it has none."""
    sub_id = subscription_id(sub.endpoint)
    item = (
        _table(stack)
        .get_item(
            TableName=stack.state.table, Key={"pk": {"S": f"SUB#{sub_id}"}, "sk": {"S": "SUB"}}
        )
        .get("Item")
    )
    return sorted(t["S"] for t in item["topics"]["L"]) if item else None


def member_topics(stack: LocalStack, sub: Subscriber) -> list[str]:
    """The topics the browser has membership items for (what sending reads), sorted."""
    sub_key = topic_member_sk(subscription_id(sub.endpoint))
    pages = (
        _table(stack)
        .get_paginator("scan")
        .paginate(
            TableName=stack.state.table,
            FilterExpression="sk = :sk AND begins_with(pk, :topic)",
            ExpressionAttributeValues={":sk": {"S": sub_key}, ":topic": {"S": TOPIC_PK_PREFIX}},
        )
    )
    pks = [item["pk"]["S"] for page in pages for item in page["Items"]]
    # TOPIC#<topic>#<shard>: the topic is what lies between the prefix and the last "#".
    return sorted(pk[len(TOPIC_PK_PREFIX) :].rsplit("#", 1)[0] for pk in pks)


def engagement(stack: LocalStack, article_id: str, version: int) -> dict[str, int]:
    """The clicks and unfollows counted on a version's DELIVERY item (0 where none)."""
    key = {"pk": {"S": article_pk(article_id)}, "sk": {"S": delivery_sk(version)}}
    item = (
        _table(stack)
        .get_item(TableName=stack.state.table, Key=key, ConsistentRead=True)
        .get("Item", {})
    )
    return {c: int(item[c]["N"]) if c in item else 0 for c in ENGAGEMENT_COUNTERS.values()}


# Counts every settled showNotification() in the worker, so a test reads the
# notifications only once the worker's promise is done (reading while one is
# pending can miss it).
RECORD_SHOWN = """
() => {
  if (self.__shown) return;
  self.__shown = [];
  const registration = self.registration;
  const show = registration.showNotification.bind(registration);
  registration.showNotification = (title, options) => {
    const pending = show(title, options);
    pending.then(
      () => self.__shown.push({ title, ok: true }),
      (error) => self.__shown.push({ title, ok: false, error: String(error) }),
    );
    return pending;
  };
}
"""
SHOWN_COUNT = "() => self.__shown.filter((s) => s.ok).length"


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

    def worker(self) -> Any:
        """The worker itself, to evaluate in (Playwright's handle on it)."""
        context = self.page.context
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for worker in context.service_workers:
                if worker.url.startswith(self.origin):
                    return worker
            self.page.wait_for_timeout(100)
        raise AssertionError("no service worker running for the site")

    def send(self, data: str) -> None:
        self.cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": self.origin, "registrationId": self.registration_id(), "data": data},
        )

    def deliver(self, payload: dict[str, Any], shown: Callable[[], bool]) -> None:
        """Deliver ``payload`` until ``shown()`` says the worker displayed it.

        Headless Chromium now and then drops a message delivered over CDP (about
        one in ten, whatever the worker does); the same message again arrives.
        A worker that cannot show it fails every attempt.
        """
        for _ in range(3):
            self.send(json.dumps(payload))
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if shown():
                    return
                self.page.wait_for_timeout(100)
        raise AssertionError(f"the worker did not show {payload['notification']['title']!r}")

    def deliver_and_wait(self, data: str) -> None:
        """Deliver raw push data and wait until the worker's showNotification settles.

        Redelivers a message headless Chromium dropped (see ``deliver``).
        """
        worker = self.worker()
        worker.evaluate(RECORD_SHOWN)
        before = worker.evaluate(SHOWN_COUNT)
        for _ in range(3):
            self.send(data)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                if worker.evaluate(SHOWN_COUNT) > before:
                    return
                self.page.wait_for_timeout(50)
        raise AssertionError(f"the worker showed nothing for {data[:80]!r}")

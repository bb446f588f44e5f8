"""sw.js event handlers with a fake worker scope, in Chromium's JavaScript engine.

Chromium only fires ``notificationclick`` and ``pushsubscriptionchange`` for
real (a user's click, a push service rotating the endpoint), and a synthetic
event cannot ``waitUntil``. So the worker's source runs here against fake
``self``, ``caches`` and ``fetch`` that record what it asks for.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from stoppress_dev.http_front import WEB_ROOT

pytestmark = pytest.mark.browser

SITE = "https://news.example/"
ARTICLE = "https://news.example/articles/nato-resumes-contacts"

HARNESS = """
async ({ source, scenario }) => {
  const listeners = {};
  const calls = [];
  const subscription = (endpoint, auth, key) => ({
    endpoint,
    options: { applicationServerKey: key ? new Uint8Array(key).buffer : null },
    toJSON: () => ({ endpoint, keys: { p256dh: "P256DH", auth } }),
  });
  const scope = {
    addEventListener: (type, listener) => { listeners[type] = listener; },
    skipWaiting: () => {},
    registration: {
      scope: "https://news.example/",
      showNotification: async (title, options) => { calls.push(["show", title, options]); },
      pushManager: {
        subscribe: async (options) => {
          calls.push(["subscribe", Array.from(new Uint8Array(options.applicationServerKey))]);
          return subscription("https://push.example/new", "NEW");
        },
      },
    },
    clients: {
      claim: async () => {},
      matchAll: async (options) => {
        calls.push(["matchAll", options]);
        return scenario.windows.map((url) => ({
          url, focus: async () => { calls.push(["focus", url]); },
        }));
      },
      openWindow: async (url) => { calls.push(["open", url]); },
    },
  };
  const fakeCaches = {
    open: async () => ({
      match: async () => scenario.state && new Response(JSON.stringify(scenario.state)),
    }),
  };
  const fakeFetch = async (url, init = {}) => {
    calls.push(["fetch", url, init.method || "GET", init.body ? JSON.parse(init.body) : null]);
    return new Response(JSON.stringify({ publicKey: "BAECAw" }), { status: 200 });
  };
  new Function("self", "caches", "fetch", source)(scope, fakeCaches, fakeFetch);

  const pending = [];
  const event = { waitUntil: (promise) => pending.push(promise) };
  if (scenario.type === "push") {
    event.data = scenario.data === null ? null : { json: () => JSON.parse(scenario.data) };
  } else if (scenario.type === "notificationclick") {
    event.notification = { data: scenario.data, close: () => calls.push(["close"]) };
  } else if (scenario.type === "pushsubscriptionchange") {
    event.oldSubscription = scenario.old
      ? subscription("https://push.example/old", "OLD", scenario.old)
      : null;
    event.newSubscription = null;
  }
  listeners[scenario.type](event);
  await Promise.all(pending);
  return calls;
}
"""


@pytest.fixture(scope="module")
def run_worker(chromium: Any) -> Iterator[Any]:
    source = (WEB_ROOT / "sw.js").read_text(encoding="utf-8")
    page = chromium.new_page()
    page.set_content("<!doctype html><title>sw.js</title>")

    def run(**scenario: Any) -> list[list[Any]]:
        scenario.setdefault("windows", [])
        scenario.setdefault("state", None)
        return page.evaluate(HARNESS, {"source": source, "scenario": scenario})

    yield run
    page.close()


def payload(change: str) -> str:
    return json.dumps(
        {
            "web_push": 8030,
            "notification": {
                "title": "NATO Will Resume Top-Level Contacts",
                "body": "NATO said Monday...",
                "navigate": ARTICLE,
                "tag": "article-nato-resumes-contacts",
                "timestamp": 1_700_000_000_000,
                "lang": "en",
            },
            "article": {"id": "nato-resumes-contacts", "version": 2, "change": change},
        }
    )


def test_push_shows_the_contract_payload(run_worker: Any) -> None:
    ((kind, title, options),) = run_worker(type="push", data=payload("update"))
    assert kind == "show"
    assert title == "NATO Will Resume Top-Level Contacts"
    assert options["body"] == "NATO said Monday..."
    assert options["tag"] == "article-nato-resumes-contacts"
    assert options["renotify"] is True
    assert options["timestamp"] == 1_700_000_000_000
    assert options["data"]["navigate"] == ARTICLE

    ((_, _, first),) = run_worker(type="push", data=payload("new"))
    assert first["renotify"] is False


def test_push_without_a_usable_payload_still_shows_something(run_worker: Any) -> None:
    for data in (None, "not json", json.dumps({"notification": {"navigate": "javascript:x"}})):
        ((kind, title, options),) = run_worker(type="push", data=data)
        assert kind == "show"
        assert title == "News update"
        assert "tag" not in options  # renotify without a tag would throw
        assert options["data"]["navigate"] == SITE


def test_click_focuses_an_open_tab_of_the_article(run_worker: Any) -> None:
    calls = run_worker(
        type="notificationclick",
        data={"navigate": ARTICLE},
        windows=[SITE, ARTICLE + "#comments"],
    )
    assert ["close"] in calls
    assert ["focus", ARTICLE + "#comments"] in calls
    assert not [c for c in calls if c[0] == "open"]


def test_click_opens_the_article_when_no_tab_shows_it(run_worker: Any) -> None:
    calls = run_worker(type="notificationclick", data={"navigate": ARTICLE}, windows=[SITE])
    assert calls[-1] == ["open", ARTICLE]
    assert not [c for c in calls if c[0] == "focus"]


def test_subscription_change_resubscribes_with_the_same_topics(run_worker: Any) -> None:
    state = {"api": "https://api.example", "topics": ["all", "article:nato-resumes-contacts"]}
    calls = run_worker(type="pushsubscriptionchange", state=state, old=[4, 9, 9])
    assert ["subscribe", [4, 9, 9]] in calls  # the same application server key
    posts = [c for c in calls if c[0] == "fetch" and c[2] == "POST"]
    assert posts == [
        [
            "fetch",
            "https://api.example/subscriptions",
            "POST",
            {
                "subscription": {
                    "endpoint": "https://push.example/new",
                    "keys": {"p256dh": "P256DH", "auth": "NEW"},
                },
                "topics": state["topics"],
            },
        ]
    ]
    deletes = [c for c in calls if c[0] == "fetch" and c[2] == "DELETE"]
    assert deletes == [
        [
            "fetch",
            "https://api.example/subscriptions",
            "DELETE",
            {"endpoint": "https://push.example/old", "auth": "OLD"},
        ]
    ]

    # Without the old subscription's key, the worker asks the API for it.
    calls = run_worker(type="pushsubscriptionchange", state=state, old=None)
    assert ["fetch", "https://api.example/vapid-public-key", "GET", None] in calls
    assert ["subscribe", [4, 1, 2, 3]] in calls

    # Not subscribed to anything (or turned off): nothing to renew.
    assert run_worker(type="pushsubscriptionchange", state=None, old=[4]) == []

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
      showNotification: async (title, options) => {
        calls.push(["show", title, options]);
        if (scenario.refuse && options.tag) throw new TypeError("options refused");
      },
      pushManager: {
        getSubscription: async () => scenario.subscription && {
          endpoint: scenario.subscription.endpoint,
          getKey: (name) => new Uint8Array(scenario.subscription.keys[name]).buffer,
        },
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
      put: async (url, response) => { calls.push(["savedState", await response.json()]); },
    }),
  };
  const fakeFetch = async (url, init = {}) => {
    const call = ["fetch", url, init.method || "GET", init.body ? JSON.parse(init.body) : null];
    // Only the count sets these; the other requests' records stay four long.
    if ("keepalive" in init || "credentials" in init) {
      call.push({ keepalive: init.keepalive, credentials: init.credentials, mode: init.mode });
    }
    calls.push(call);
    if (scenario.offline) throw new TypeError("Failed to fetch");
    if (url.endsWith("/events")) {
      // A slow API: what the click does must not wait for it.
      await new Promise((resolve) => setTimeout(resolve, scenario.eventsDelayMs || 0));
      calls.push(["counted", url]);
      if (scenario.eventsFail) throw new TypeError("Failed to fetch");
      return new Response(null, { status: scenario.eventsStatus || 204 });
    }
    if (init.method === "DELETE") return new Response(null, { status: scenario.status || 204 });
    if (init.method === "POST" && scenario.kept) {
      return new Response(JSON.stringify({ id: "x", topics: scenario.kept }), { status: 201 });
    }
    return new Response(JSON.stringify({ publicKey: "BAECAw" }), { status: 200 });
  };
  new Function("self", "caches", "fetch", source)(scope, fakeCaches, fakeFetch);

  const pending = [];
  const event = { waitUntil: (promise) => pending.push(promise) };
  if (scenario.type === "push") {
    event.data = scenario.data === null ? null : { json: () => JSON.parse(scenario.data) };
  } else if (scenario.type === "notificationclick") {
    event.action = scenario.action || "";
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
        scenario.setdefault("subscription", None)
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


def test_push_shows_images_actions_and_language(run_worker: Any) -> None:
    data = json.loads(payload("update"))
    data["notification"].update(
        lang="de",
        icon="https://cdn.news.example/icon.png",
        badge="/badge.png",
        image="https://cdn.news.example/lead.jpg",
        requireInteraction=True,
        actions=[
            {"action": "read", "title": "Read", "navigate": ARTICLE},
            {"action": "unfollow", "title": "Unfollow story"},
        ],
    )
    ((_, _, options),) = run_worker(type="push", data=json.dumps(data))
    assert options["lang"] == "de"
    assert options["icon"] == "https://cdn.news.example/icon.png"
    assert options["badge"] == SITE + "badge.png"  # the site's own origin
    assert options["image"] == "https://cdn.news.example/lead.jpg"
    assert options["requireInteraction"] is True
    assert options["actions"] == [
        {"action": "read", "title": "Read"},
        {"action": "unfollow", "title": "Unfollow story"},
    ]
    assert options["data"]["actions"] == {"read": ARTICLE, "unfollow": ARTICLE}
    assert options["data"]["article"] == {
        "id": "nato-resumes-contacts",
        "version": 2,
        "change": "update",
    }


MALFORMED_PAYLOADS = {
    "no data": None,
    "not json": "not json",
    "json but not an object": "[1, 2]",
    "no notification": json.dumps({"web_push": 8030, "article": {"id": "x"}}),
    "notification not an object": json.dumps({"notification": "Headline"}),
    "no title": json.dumps({"notification": {"navigate": "javascript:x", "body": "b"}}),
    "title of the wrong type": json.dumps({"notification": {"title": 42, "tag": "t"}}),
}


@pytest.mark.parametrize("data", MALFORMED_PAYLOADS.values(), ids=MALFORMED_PAYLOADS.keys())
def test_push_without_a_usable_payload_still_shows_something(run_worker: Any, data: Any) -> None:
    ((kind, title, options),) = run_worker(type="push", data=data)
    assert kind == "show"
    assert title == "news.example"  # the site, when the page saved no name for it
    assert options["body"] == "New update"
    assert "tag" not in options  # renotify without a tag would throw
    assert options["data"]["navigate"] == SITE

    state = {"api": "https://api.example", "site": "The Stop Press", "topics": ["all"]}
    ((_, title, _),) = run_worker(type="push", data=data, state=state)
    assert title == "The Stop Press"


def test_a_notification_the_browser_refuses_falls_back_to_the_generic_one(
    run_worker: Any,
) -> None:
    calls = run_worker(type="push", data=payload("update"), refuse=True)
    assert [c[1] for c in calls] == ["NATO Will Resume Top-Level Contacts", "news.example"]
    assert calls[1][2]["body"] == "New update"


def test_fields_of_the_wrong_type_are_left_out_not_fatal(run_worker: Any) -> None:
    broken = json.loads(payload("update"))
    broken["notification"].update(
        body=["not", "text"],
        lang=7,
        timestamp="yesterday",
        icon="javascript:alert(1)",
        badge=42,
        image="http://elsewhere.example/plain-http.png",
        requireInteraction="yes",
        actions=[
            "read",
            {"action": "read"},
            {"title": "No action"},
            {"action": "read", "title": "Read", "navigate": ARTICLE},
            {"action": "read", "title": "Read again"},
        ],
    )
    broken["article"] = "nato"
    ((kind, title, options),) = run_worker(type="push", data=json.dumps(broken))
    assert (kind, title) == ("show", "NATO Will Resume Top-Level Contacts")
    assert options["body"] == ""
    for left_out in ("lang", "timestamp", "icon", "badge", "image", "requireInteraction"):
        assert left_out not in options, left_out
    assert options["actions"] == [{"action": "read", "title": "Read"}]
    assert options["renotify"] is False  # no article: not known to be an update


def test_unfollow_is_offered_only_for_a_known_article(run_worker: Any) -> None:
    data = json.loads(payload("update"))
    data["notification"]["actions"] = [{"action": "unfollow", "title": "Unfollow story"}]
    ((_, _, options),) = run_worker(type="push", data=json.dumps(data))
    assert options["actions"] == [{"action": "unfollow", "title": "Unfollow story"}]
    del data["article"]
    ((_, _, options),) = run_worker(type="push", data=json.dumps(data))
    assert "actions" not in options


def test_a_follower_reached_by_everyones_push_is_still_offered_to_unfollow(
    run_worker: Any,
) -> None:
    to_everyone = json.loads(payload("update"))
    to_everyone["notification"]["actions"] = [{"action": "read", "title": "Read"}]
    following = {"api": "https://api.example", "topics": ["all", "article:nato-resumes-contacts"]}
    ((_, _, options),) = run_worker(type="push", data=json.dumps(to_everyone), state=following)
    assert options["actions"] == [
        {"action": "read", "title": "Read"},
        {"action": "unfollow", "title": "Unfollow story"},
    ]
    assert options["data"]["actions"] == {"read": ARTICLE, "unfollow": ARTICLE}

    # Only for a story this browser follows, only on an update, and never twice.
    not_following = {**following, "topics": ["all", "article:another-story"]}
    new_story = json.loads(json.dumps(to_everyone))
    new_story["article"]["change"] = "new"
    followers_push = json.loads(json.dumps(to_everyone))
    followers_push["notification"]["actions"].append(
        {"action": "unfollow", "title": "Unfollow story"}
    )
    for data, state in [
        (to_everyone, not_following),
        (to_everyone, None),
        (new_story, following),
        (followers_push, following),
    ]:
        ((_, _, options),) = run_worker(type="push", data=json.dumps(data), state=state)
        assert options["actions"] == data["notification"]["actions"]


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


def test_subscription_change_remembers_the_topics_the_server_kept(run_worker: Any) -> None:
    state = {"api": "https://api.example", "topics": ["all", "article:lapsed", "tag:transit"]}
    kept = ["all", "tag:transit"]
    calls = run_worker(type="pushsubscriptionchange", state=state, old=[4, 9, 9], kept=kept)
    assert ["savedState", {**state, "topics": kept}] in calls
    # An answer without a list leaves the browser's own.
    calls = run_worker(type="pushsubscriptionchange", state=state, old=[4, 9, 9])
    assert not [c for c in calls if c[0] == "savedState"]


STATE = {
    "api": "https://api.example",
    "site": "The Stop Press",
    "topics": ["all", "article:nato-resumes-contacts"],
}
SUBSCRIPTION = {"endpoint": "https://push.example/sub", "keys": {"auth": list(range(16))}}
CLICKED = {
    "navigate": ARTICLE,
    "article": {"id": "nato-resumes-contacts", "version": 2, "change": "update"},
    "actions": {"read": ARTICLE + "?from=notification", "unfollow": ARTICLE},
}


def test_unfollow_asks_the_api_to_stop_that_story_and_remembers_it(run_worker: Any) -> None:
    calls = run_worker(
        type="notificationclick",
        action="unfollow",
        data=CLICKED,
        state=STATE,
        subscription=SUBSCRIPTION,
    )
    fetches = [c for c in calls if c[0] == "fetch"]
    assert fetches == [
        [
            "fetch",
            "https://api.example/subscriptions",
            "DELETE",
            {
                "endpoint": "https://push.example/sub",
                "auth": "AAECAwQFBgcICQoLDA0ODw",  # base64url of bytes 0..15
                "topics": ["article:nato-resumes-contacts"],
            },
        ],
        count("unfollow"),
    ]
    assert ["savedState", {**STATE, "topics": ["all"]}] in calls
    # Counted once the unfollow is done, never holding it up.
    assert kinds(calls).index("close") < calls.index(count("unfollow"))
    assert not [c for c in calls if c[0] in ("open", "focus")]


@pytest.mark.parametrize(
    "trouble",
    [{"status": 503}, {"offline": True}, {"subscription": None}, {"state": None}],
    ids=["api-unavailable", "offline", "no-subscription", "no-saved-state"],
)
def test_an_unfollow_that_cannot_be_done_leaves_the_notification(
    run_worker: Any, trouble: dict[str, Any]
) -> None:
    scenario = {"state": STATE, "subscription": SUBSCRIPTION, **trouble}
    calls = run_worker(type="notificationclick", action="unfollow", data=CLICKED, **scenario)
    assert ["close"] not in calls
    assert not [c for c in calls if c[0] == "savedState"]
    assert not counts(calls)  # the reader may try again: that one will count


def test_an_unfollow_the_api_no_longer_knows_is_done(run_worker: Any) -> None:
    calls = run_worker(
        type="notificationclick",
        action="unfollow",
        data=CLICKED,
        state=STATE,
        subscription=SUBSCRIPTION,
        status=403,
    )
    assert ["close"] in calls
    assert counts(calls) == [count("unfollow")]


def test_the_read_action_opens_its_own_url(run_worker: Any) -> None:
    calls = run_worker(type="notificationclick", action="read", data=CLICKED, windows=[SITE])
    assert ["close"] in calls
    assert calls[-1] == ["open", ARTICLE + "?from=notification"]
    assert not [c for c in calls if c[0] == "fetch"]  # no saved state: no API to count with


def test_an_unknown_action_opens_the_article(run_worker: Any) -> None:
    calls = run_worker(
        type="notificationclick", action="share", data=CLICKED, windows=[SITE], state=STATE
    )
    assert calls[-1] == ["open", ARTICLE]
    assert not counts(calls)  # a click is the body or "Read" only


def count(action: str, version: int = 2) -> list[Any]:
    """The request that counts ``action`` on the clicked notification's version."""
    body = {"article_id": "nato-resumes-contacts", "version": version, "action": action}
    options = {"keepalive": True, "credentials": "omit", "mode": "cors"}
    return ["fetch", "https://api.example/events", "POST", body, options]


def counts(calls: list[list[Any]]) -> list[list[Any]]:
    return [c for c in calls if c[0] == "fetch" and c[1].endswith("/events")]


def kinds(calls: list[list[Any]]) -> list[str]:
    return [c[0] for c in calls]


@pytest.mark.parametrize("action", ["", "read"], ids=["body", "read"])
def test_a_click_is_counted_for_the_version_beside_opening_it(run_worker: Any, action: str) -> None:
    calls = run_worker(
        type="notificationclick",
        action=action,
        data=CLICKED,
        windows=[SITE],
        state=STATE,
        eventsDelayMs=300,
    )
    assert counts(calls) == [count("click")]
    # The article opened while the count was still on its way.
    assert kinds(calls).index("open") < kinds(calls).index("counted")
    assert not [c for c in calls if c[0] == "fetch" and c[1].endswith("/subscriptions")]


@pytest.mark.parametrize(
    "trouble",
    [{"eventsFail": True}, {"eventsStatus": 404}, {"eventsStatus": 429}, {"eventsStatus": 503}],
    ids=["offline", "unknown-version", "throttled", "unavailable"],
)
def test_a_count_that_fails_changes_nothing_for_the_reader(
    run_worker: Any, trouble: dict[str, Any]
) -> None:
    clicked = run_worker(
        type="notificationclick", data=CLICKED, windows=[SITE], state=STATE, **trouble
    )
    assert counts(clicked) == [count("click")]
    assert ["open", ARTICLE] in clicked

    unfollowed = run_worker(
        type="notificationclick",
        action="unfollow",
        data=CLICKED,
        state=STATE,
        subscription=SUBSCRIPTION,
        **trouble,
    )
    assert counts(unfollowed) == [count("unfollow")]
    assert ["savedState", {**STATE, "topics": ["all"]}] in unfollowed
    assert ["close"] in unfollowed


NOT_A_VERSION = {
    "no article": {"navigate": ARTICLE},
    "no id": {"navigate": ARTICLE, "article": {"id": "", "version": 2}},
    "version as text": {"navigate": ARTICLE, "article": {"id": "nato", "version": "2"}},
    "version zero": {"navigate": ARTICLE, "article": {"id": "nato", "version": 0}},
    "version fractional": {"navigate": ARTICLE, "article": {"id": "nato", "version": 1.5}},
}


@pytest.mark.parametrize("data", NOT_A_VERSION.values(), ids=NOT_A_VERSION.keys())
def test_a_notification_without_a_version_is_opened_not_counted(
    run_worker: Any, data: dict[str, Any]
) -> None:
    calls = run_worker(type="notificationclick", data=data, windows=[SITE], state=STATE)
    assert calls[-1] == ["open", ARTICLE]
    assert not counts(calls)

"""Section follows, the "You follow" list and the daily re-sync, in headless Chromium against
the local stack.

Headless Chromium hands out no push subscription, so the page's PushManager does:
``subscribe`` answers with a simulated browser's subscription (the local push
service holds its keys) and ``getSubscription`` gives it back on every later page
load, as a real browser does.
"""

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from stoppress.contracts.keys import subscription_id, tag_slug, topic_member_sk
from stoppress_dev.http_front import WEB_ROOT
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService, Subscriber
from tests.browser.support import member_topics, stored_topics, wait_for

pytestmark = pytest.mark.browser

STORY = "nato-resumes-contacts"
HEADLINE = "NATO Will Resume Top-Level Contacts"
# samplecontent/city-council-budget.md: tags [city hall, budget, transit].
COUNCIL = "city-council-budget"
COUNCIL_HEADLINE = "City Council Passes $412 Million Budget After Late-Night Vote"
SYNCED_KEY = "stoppress.synced-at"
DAY_MS = 24 * 60 * 60 * 1000

# Runs before the page's scripts, on every page of the context.
FAKE_PUSH_MANAGER = """
(() => {
  const info = %s;
  const held = "test.push-subscription";
  const subscription = (options) => ({
    endpoint: info.endpoint,
    options: options || {},
    toJSON() { return info; },
    unsubscribe: async () => { localStorage.removeItem(held); return true; },
  });
  PushManager.prototype.subscribe = async function (options) {
    localStorage.setItem(held, "1");
    return subscription(options);
  };
  PushManager.prototype.getSubscription = async function () {
    return localStorage.getItem(held) ? subscription(null) : null;
  };
})();
"""


class Reader:
    """One reader's browser: a page on the demo site, and what it asked the API."""

    def __init__(self, context: Any, stack: LocalStack) -> None:
        self.stack = stack
        self.context = context
        self.page = context.new_page()
        self.api_calls: list[tuple[str, str]] = []
        self.page.on("request", self._record)

    def _record(self, request: Any) -> None:
        api = self.stack.state.api_url
        # CORS preflights are the browser's, not the snippet's.
        if request.url.startswith(api) and request.method != "OPTIONS":
            self.api_calls.append((request.method, request.url[len(api) :]))

    def open(self, path: str) -> None:
        self.page.goto(f"{self.stack.state.web_url}{path}")
        self.page.evaluate("window.stoppress.ready")

    def calls(self, method: str, path: str) -> int:
        return self.api_calls.count((method, path))

    def button(self, name: str) -> Any:
        return self.page.get_by_role("button", name=name)

    def saved_topics(self) -> list[str]:
        return sorted(self.page.evaluate("JSON.parse(localStorage.getItem('stoppress.topics'))"))


@pytest.fixture
def reader_of(
    chromium: Any, stack: LocalStack, push: PushService
) -> Iterator[Callable[[], tuple[Reader, Subscriber]]]:
    contexts: list[Any] = []

    def new_reader() -> tuple[Reader, Subscriber]:
        sub = push.new_subscriber(f"chromium-{len(contexts)}")
        context = chromium.new_context()
        contexts.append(context)
        context.grant_permissions(["notifications"], origin=stack.state.web_url)
        context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(sub.subscription_info()))
        return Reader(context, stack), sub

    yield new_reader
    for context in contexts:
        context.close()


def _table(stack: LocalStack) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def _subscription_items(stack: LocalStack, sub: Subscriber) -> list[dict[str, Any]]:
    """The SUB item and every membership of ``sub``, as keys."""
    own = topic_member_sk(subscription_id(sub.endpoint))
    items = _table(stack).scan(TableName=stack.state.table)["Items"]
    return [
        {"pk": i["pk"], "sk": i["sk"]}
        for i in items
        if i["pk"]["S"] == own or (i["sk"]["S"] == own and i["pk"]["S"].startswith("TOPIC#"))
    ]


# -- section follows -------------------------------------------------------------------


def test_section_buttons_appear_only_with_declared_tags_and_follow_the_tag_topic(
    reader_of: Callable[[], tuple[Reader, Subscriber]], stack: LocalStack
) -> None:
    reader, sub = reader_of()
    reader.open(f"/articles/{STORY}")  # the NATO story declares no tags
    assert reader.button("Turn on notifications").is_visible()
    assert reader.page.locator(".stoppress__follow--section").count() == 0

    reader.open(f"/articles/{COUNCIL}")
    sections = reader.page.locator(".stoppress__follow--section")
    assert sections.all_inner_texts() == ["Follow city hall", "Follow budget", "Follow transit"]
    city_hall = reader.button("Follow city hall")
    assert city_hall.get_attribute("aria-pressed") == "false"

    city_hall.click()
    wait_for(lambda: stored_topics(stack, sub) == ["tag:city-hall"], what="the tag topic")
    assert member_topics(stack, sub) == ["tag:city-hall"]
    wait_for(lambda: city_hall.get_attribute("aria-pressed") == "true", what="pressed")
    assert reader.button("Follow budget").get_attribute("aria-pressed") == "false"
    assert reader.saved_topics() == ["tag:city-hall"]
    reader.page.get_by_text("You follow 1 section").wait_for()

    reader.button("Follow transit").click()
    wait_for(
        lambda: stored_topics(stack, sub) == ["tag:city-hall", "tag:transit"],
        what="a second section",
    )
    city_hall.click()
    wait_for(lambda: stored_topics(stack, sub) == ["tag:transit"], what="the section unfollowed")


def test_tags_declared_on_the_prompt_element_are_offered_too(
    reader_of: Callable[[], tuple[Reader, Subscriber]], stack: LocalStack
) -> None:
    reader, sub = reader_of()
    site = stack.state.web_url
    page = f"""<!doctype html><html lang="fr"><meta charset="utf-8"><title>Économie</title>
      <div data-stoppress-prompt data-tags="Économie, 東京, Économie , Ça va"></div>
      <script src="/stoppress.js" data-api="{stack.state.api_url}"></script>"""
    # A page Playwright serves has no address of its own, so Chromium would take it for a
    # public site calling a loopback API; the deployed page and API are both public.
    reader.context.grant_permissions(["local-network-access"], origin=site)
    reader.page.route(
        f"{site}/rubrique",
        lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page),
    )
    reader.open("/rubrique")

    sections = reader.page.locator(".stoppress__follow--section")
    # One button per slug; a name with nothing left to slug (東京) gets none.
    assert sections.all_inner_texts() == ["Follow Économie", "Follow Ça va"]
    reader.button("Follow Économie").click()
    wait_for(lambda: stored_topics(stack, sub) == ["tag:economie"], what="the tag topic")


# The same names through tag_slug and the snippet's tagSlug: accents, ligatures, width
# and compatibility forms, scripts with nothing to keep, punctuation, and the 60-character cut.
NAMES = [
    "City Hall",
    "Politics",
    "Économie",
    "Ça va",
    "São Paulo",
    "Saint-Étienne",
    "Mötley Crüe",
    "Zürich",
    "İstanbul",
    "Straße",
    "Łódź",
    "ﬁnance",
    "ＦＵＬＬ　ＷＩＤＴＨ",
    "Ⅻ century",
    "①②③",
    "½ price",
    "ǅemal",
    "東京",
    "北京 News",
    "Ελλάδα",
    "Москва",
    "emoji 🎉 party",
    "🎉",
    "C++",
    "  --Rock & Roll--  ",
    "tab\tand\nnewline",
    "naïve_café",
    "R&D / AI",
    "9-to-5",
    "",
    "   ",
    "----",
    "x" * 80,
    "a" * 59 + " b",
    "a" * 60 + " b",
    "a" * 61 + " b",
    "The Very Long Name Of A Section That Goes On And On Beyond Sixty Characters",
    "word " * 20,
    "Économie et société: les grands débats de l'année, région par région",
]


def test_the_snippet_slugs_tag_names_exactly_as_the_server_does(chromium: Any) -> None:
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><title>slugs</title><body></body>")
        page.add_script_tag(content=(WEB_ROOT / "stoppress.js").read_text(encoding="utf-8"))
        in_js = page.evaluate("(names) => names.map((n) => window.stoppress.tagSlug(n))", NAMES)
    finally:
        page.close()
    assert in_js == [tag_slug(name) for name in NAMES]
    assert in_js[NAMES.index("東京")] is None
    assert in_js[NAMES.index("Économie")] == "economie"


# -- "You follow" ----------------------------------------------------------------------


def test_the_follow_list_shows_headlines_and_unfollows_exactly_one(
    reader_of: Callable[[], tuple[Reader, Subscriber]],
    stack: LocalStack,
    upload: Callable[[str, str], None],
) -> None:
    reader, sub = reader_of()
    reader.open(f"/articles/{COUNCIL}")
    reader.button("Follow this story").click()
    wait_for(lambda: stored_topics(stack, sub) == [f"article:{COUNCIL}"], what="a story")
    reader.button("Follow city hall").click()
    wait_for(lambda: len(stored_topics(stack, sub) or ()) == 2, what="a section")
    reader.open(f"/articles/{STORY}")
    reader.button("Follow this story").click()
    everything = sorted([f"article:{COUNCIL}", f"article:{STORY}", "tag:city-hall"])
    wait_for(lambda: stored_topics(stack, sub) == everything, what="a second story")
    # The stories go through the pipeline, so their HEAD items carry their headlines.
    upload(f"{STORY}.txt", f"articles/{STORY}.txt")
    upload(f"{COUNCIL}.md", f"articles/{COUNCIL}.md")
    stack.wait_idle(timeout=30)

    summary = reader.page.get_by_text("You follow 2 stories and 1 section")
    summary.click()
    listing = reader.page.get_by_role("list", name="What you follow")
    listing.get_by_text(HEADLINE).wait_for()
    names = listing.locator(".stoppress__following-name")
    assert names.all_text_contents() == [COUNCIL_HEADLINE, "city hall", HEADLINE]
    kinds = listing.locator(".stoppress__following-kind")
    assert kinds.all_text_contents() == ["Story", "Section", "Story"]

    listing.get_by_role("button", name=f"Unfollow {HEADLINE}").click()
    remaining = sorted([f"article:{COUNCIL}", "tag:city-hall"])
    wait_for(lambda: stored_topics(stack, sub) == remaining, what="the unfollow")
    assert member_topics(stack, sub) == remaining
    reader.page.get_by_role("status").filter(
        has_text=f"You no longer follow “{HEADLINE}”"
    ).wait_for()
    reader.page.get_by_text("You follow 1 story and 1 section").wait_for()
    assert listing.get_by_role("listitem").count() == 2
    assert reader.button("Follow this story").get_attribute("aria-pressed") == "false"
    assert reader.saved_topics() == remaining
    assert names.all_text_contents() == [COUNCIL_HEADLINE, "city hall"]


# -- the daily re-sync -------------------------------------------------------------------


def test_the_daily_resync_sends_again_a_subscription_the_server_lost(
    reader_of: Callable[[], tuple[Reader, Subscriber]], stack: LocalStack
) -> None:
    reader, sub = reader_of()
    reader.open(f"/articles/{STORY}")
    reader.button("Turn on notifications").click()
    wait_for(lambda: stored_topics(stack, sub) == ["all"], what="the subscription")
    reader.button("Follow this story").click()
    both = ["all", f"article:{STORY}"]
    wait_for(lambda: stored_topics(stack, sub) == both, what="the follow")
    assert reader.calls("POST", "/subscriptions/lookup") == 0

    # The server loses it (expired, or a pushsubscriptionchange that never reached it).
    table = _table(stack)
    for key in _subscription_items(stack, sub):
        table.delete_item(TableName=stack.state.table, Key=key)
    assert stored_topics(stack, sub) is None

    reader.open(f"/articles/{STORY}")
    assert reader.calls("POST", "/subscriptions/lookup") == 1
    assert reader.calls("POST", "/subscriptions") == 3  # two clicks, then the re-send
    assert stored_topics(stack, sub) == both
    assert member_topics(stack, sub) == both
    assert reader.button("Turn off notifications").is_visible()

    # The same day: no more lookups, however often the reader comes back.
    reader.open(f"/articles/{STORY}")
    reader.open(f"/articles/{COUNCIL}")
    assert reader.calls("POST", "/subscriptions/lookup") == 1
    assert reader.calls("POST", "/subscriptions") == 3


def test_the_next_days_resync_adopts_the_servers_topics(
    reader_of: Callable[[], tuple[Reader, Subscriber]], stack: LocalStack
) -> None:
    reader, sub = reader_of()
    reader.open(f"/articles/{STORY}")
    reader.button("Turn on notifications").click()
    wait_for(lambda: stored_topics(stack, sub) == ["all"], what="the subscription")
    reader.button("Follow this story").click()
    wait_for(lambda: len(stored_topics(stack, sub) or ()) == 2, what="the follow")
    reader.open(f"/articles/{STORY}")  # the first visit with a subscription syncs
    assert reader.calls("POST", "/subscriptions/lookup") == 1

    # The story went quiet: its follow expired on the server (still stored, as TTL lags).
    follow = [
        k for k in _subscription_items(stack, sub) if k["pk"]["S"].startswith("TOPIC#article")
    ]
    assert len(follow) == 1
    _table(stack).update_item(
        TableName=stack.state.table,
        Key=follow[0],
        UpdateExpression="SET expires_at = :x",
        ExpressionAttributeValues={":x": {"N": str(int(time.time()) - 60)}},
    )
    reader.open(f"/articles/{STORY}")
    assert reader.calls("POST", "/subscriptions/lookup") == 1
    assert reader.saved_topics() == ["all", f"article:{STORY}"]

    reader.page.evaluate(
        "([key, day]) => localStorage.setItem(key, String(Date.now() - day - 60000))",
        [SYNCED_KEY, DAY_MS],
    )
    reader.open(f"/articles/{STORY}")
    assert reader.calls("POST", "/subscriptions/lookup") == 2
    assert reader.saved_topics() == ["all"]
    assert reader.button("Follow this story").get_attribute("aria-pressed") == "false"

"""The whole pipeline on the local stack: HTTP API, S3 upload, ingest, stream, notify, send.

Browsers are simulated by the local push service, which verifies VAPID and
decrypts every push, so what a test reads is what a browser would show.
"""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from stoppress.webpush.headers import topic_header
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack
from stoppress_dev.pushservice import PushService, Subscriber
from tests.e2e.apiclient import call_api

STORY = "nato-resumes-contacts"
KEY = f"articles/{STORY}.txt"


def subscribe(stack: LocalStack, sub: Subscriber, topics: list[str]) -> None:
    response = call_api(
        stack.state.api_url,
        "POST",
        "/subscriptions",
        {"subscription": sub.subscription_info(), "topics": topics},
    )
    assert response.status == 201, response.body


def payloads(sub: Subscriber) -> list[dict]:
    return [d.payload for d in sub.deliveries if d.payload is not None]


def test_story_reaches_subscribers_update_reaches_followers_correction_nobody(
    stack: LocalStack, push: PushService, upload
) -> None:
    reader = push.new_subscriber("reader")
    follower = push.new_subscriber("follower")
    subscribe(stack, reader, ["all"])
    subscribe(stack, follower, ["all", f"article:{STORY}"])

    upload(f"{STORY}.txt", KEY)
    stack.wait_idle(timeout=30)

    v1 = stack.version_item(STORY, 1)
    assert v1 is not None
    assert (v1["change"], v1["audience"]) == ("new", "all")
    for sub in (reader, follower):
        assert len(sub.deliveries) == 1, sub.attempts
        delivery = sub.deliveries[0]
        payload = delivery.payload
        assert payload is not None
        assert payload["web_push"] == 8030
        assert payload["notification"]["title"] == "NATO Will Resume Top-Level Contacts"
        assert payload["notification"]["title"] == v1["headline"]
        assert payload["notification"]["body"] == v1["summary"]
        assert payload["notification"]["tag"] == f"article-{STORY}"
        assert payload["notification"]["navigate"] == f"{stack.state.web_url}/articles/{STORY}"
        assert payload["article"] == {"id": STORY, "version": 1, "change": "new"}
        assert delivery.headers["topic"] == topic_header(STORY)
        assert int(delivery.headers["ttl"]) > 0
        assert delivery.headers["urgency"] == "normal"

    # The update goes to the story's followers only, with the same tag.
    upload(f"{STORY}-update.txt", KEY)
    stack.wait_idle(timeout=30)
    v2 = stack.version_item(STORY, 2)
    assert v2 is not None
    assert (v2["change"], v2["audience"]) == ("update", "followers")
    assert len(reader.deliveries) == 1
    assert len(follower.deliveries) == 2
    update = payloads(follower)[1]
    assert update["article"] == {
        "id": STORY,
        "version": 2,
        "change": "update",
        "previous_version": 1,
    }
    assert update["notification"]["title"] == v2["headline"] != v1["headline"]
    assert update["notification"]["tag"] == f"article-{STORY}"
    # The follower reads what is new, not the summary again, and may stop following.
    assert update["notification"]["body"] == v2["change_line"]
    assert update["notification"]["body"] != v2["summary"]
    assert update["notification"]["body"].startswith("The meeting, on the sidelines of the Munich")
    assert [a["action"] for a in update["notification"]["actions"]] == ["read", "unfollow"]
    assert [a["action"] for a in payloads(reader)[0]["notification"]["actions"]] == ["read"]
    assert follower.deliveries[1].headers["ttl"] == "43200"

    # A typo correction is stored as version 3 and sends nothing.
    upload(f"{STORY}-correction.txt", KEY)
    stack.wait_idle(timeout=30)
    v3 = stack.version_item(STORY, 3)
    assert v3 is not None
    assert (v3["change"], v3["audience"]) == ("correction", "none")
    assert (len(reader.deliveries), len(follower.deliveries)) == (1, 2)
    assert push.status_counts() == {201: 3}
    assert stack.delivery_counts(STORY, 1)["sent"] == 2
    assert stack.delivery_counts(STORY, 2)["sent"] == 1
    assert not [s for s in stack.steps if s.kind == "error"]


def test_unsubscribe_gone_endpoints_and_uploads_that_send_nothing(
    stack: LocalStack, push: PushService, upload, tmp_path: Path
) -> None:
    stays, leaves, gone = (push.new_subscriber(n) for n in ("stays", "leaves", "gone"))
    for sub in (stays, leaves, gone):
        subscribe(stack, sub, ["all"])
    info = leaves.subscription_info()

    # Nobody can unsubscribe someone else: the auth secret proves ownership.
    wrong = call_api(
        stack.state.api_url,
        "DELETE",
        "/subscriptions",
        {"endpoint": info["endpoint"], "auth": stays.auth},
    )
    assert wrong.status == 403
    assert set(wrong.body["error"]) == {"code", "message"}
    ok = call_api(
        stack.state.api_url,
        "DELETE",
        "/subscriptions",
        {"endpoint": info["endpoint"], "auth": info["keys"]["auth"]},
    )
    assert ok.status == 204

    gone.respond_with(410)
    # S3 events carry keys URL-encoded ("+" for spaces); the article id is a slug of the key.
    upload("rail-strike-talks.txt", "articles/Rail Strike Talks.txt")
    stack.wait_idle(timeout=30)
    rail = stack.version_item("rail-strike-talks", 1)
    assert rail is not None
    assert rail["source_key"] == "articles/Rail Strike Talks.txt"

    assert [p["article"]["id"] for p in payloads(stays)] == ["rail-strike-talks"]
    assert leaves.attempts == []
    assert [a.status for a in gone.attempts] == [410]
    counts = stack.delivery_counts("rail-strike-talks", 1)
    assert (counts["sent"], counts["expired"]) == (1, 1)

    # The expired subscription was deleted: the next story does not try it again.
    upload("wildfire-evacuations.html", "articles/wildfire-evacuations.html")
    stack.wait_idle(timeout=30)
    assert len(gone.attempts) == 1
    assert len(stays.deliveries) == 2

    # Outside articles/ nothing happens; a file that is no article is rejected, not sent.
    steps_before = len(stack.steps)
    upload("rail-strike-talks.txt", "drafts/rail-strike-talks.txt")
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01 not an article")
    upload(junk, "articles/junk.txt")
    stack.wait_idle(timeout=30)
    new_steps = stack.steps[steps_before:]
    assert [(s.kind, s.key) for s in new_steps] == [("upload", "articles/junk.txt")]
    assert "rejected" in new_steps[0].details
    assert len(stays.deliveries) == 2


def test_http_api_contract_cors_and_demo_page(stack: LocalStack) -> None:
    api, site = stack.state.api_url, stack.state.web_url
    key = call_api(api, "GET", "/vapid-public-key", headers={"origin": site})
    assert key.status == 200
    assert key.body == {"publicKey": stack.state.vapid_public_key}
    assert key.headers["access-control-allow-origin"] == site

    preflight = call_api(
        api,
        "OPTIONS",
        "/subscriptions",
        headers={
            "origin": site,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == site
    assert "POST" in preflight.headers["access-control-allow-methods"]

    bad = call_api(api, "POST", "/subscriptions", {"subscription": {"endpoint": "nope"}})
    assert bad.status == 400
    assert set(bad.body["error"]) == {"code", "message"}
    assert call_api(api, "GET", "/nowhere").status == 404

    # The demo page (the sample, before any upload) is served with the API injected.
    with urllib.request.urlopen(f"{stack.state.web_url}/articles/{STORY}", timeout=10) as resp:
        html = resp.read().decode()
    assert "NATO Will Resume Top-Level Contacts" in html
    assert f'data-api="{stack.state.api_url}"' in html
    assert f'data-article-id="{STORY}"' in html
    for asset in ("/stoppress.js", "/sw.js"):
        with urllib.request.urlopen(stack.state.web_url + asset, timeout=10) as resp:
            assert "javascript" in resp.headers["content-type"]
    # Only web/ is served, and not the page template itself.
    for path in ("/article.html", "/%2e%2e/pyproject.toml", "/articles/no-such-story"):
        assert call_api(site, "GET", path).status == 404, path


@pytest.mark.slow
def test_stoppress_dev_state_file_push_and_sigterm(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stoppress_dev.cli",
            "dev",
            "--state-file",
            str(state_file),
            "--aws-port",
            "0",
            "--api-port",
            "0",
            "--web-port",
            "0",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not state_file.exists():
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "no state file after 60 s"
            time.sleep(0.2)
        state = json.loads(state_file.read_text())
        assert {"aws_endpoint_url", "region", "bucket", "table", "api_url", "web_url"} <= set(state)
        assert state["bucket"] == "stoppress-local-articles"
        assert state["table"] == "stoppress-local"
        assert state["push_queue_url"].endswith("/stoppress-local-push-jobs")
        key = call_api(state["api_url"], "GET", "/vapid-public-key")
        assert key.status == 200
        assert key.body["publicKey"] == state["vapid_public_key"]

        # A browser subscribed through the API gets a push for an upload made with boto3.
        with PushService(vapid_public_key=key.body["publicKey"]) as push:
            browser = push.new_subscriber("browser")
            subscribed = call_api(
                state["api_url"],
                "POST",
                "/subscriptions",
                {"subscription": browser.subscription_info()},
            )
            assert subscribed.status == 201
            s3 = boto3.client(
                "s3",
                endpoint_url=state["aws_endpoint_url"],
                region_name=state["region"],
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )
            s3.upload_file(str(SAMPLES / f"{STORY}.txt"), state["bucket"], KEY)
            push.wait_for_deliveries(1, timeout=30)
            payload = browser.deliveries[0].payload
            assert payload is not None
            assert payload["notification"]["title"] == "NATO Will Resume Top-Level Contacts"
            assert payload["notification"]["navigate"] == f"{state['web_url']}/articles/{STORY}"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            # Generous: on a loaded two-core machine, threads finish their current call first.
            out, _ = proc.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, out
    assert "stopped" in out
    assert not state_file.exists()

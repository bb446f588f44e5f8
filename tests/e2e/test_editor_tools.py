"""The editor's commands against running stacks: ``stoppress dev``'s, in this process, and a
"deployed" one found through moto's CloudFormation.

Each command is called as the shell would call it, with the state file the local
stack writes; what it prints is what an editor or a script reads.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from stoppress_dev import cli
from stoppress_dev.http_front import SAMPLES
from stoppress_dev.localstack import LocalStack, write_state_file
from stoppress_dev.pushservice import PushService
from tests.e2e.test_pipeline import KEY, STORY, subscribe
from tests.e2e.test_storm_cooldown import wait_for

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    """``stoppress ARGS``: exit status, stdout, stderr."""

    def call(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = cli.main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return call


@pytest.fixture
def state(stack: LocalStack, tmp_path: Path) -> str:
    path = tmp_path / "state.json"
    write_state_file(path, stack.state)
    return str(path)


def table_items(stack: LocalStack) -> list[dict[str, Any]]:
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=stack.state.aws_endpoint_url,
        region_name=stack.state.region,
    )
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": stack.state.table, "ConsistentRead": True}
    while True:
        page = ddb.scan(**kwargs)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def object_versions(stack: LocalStack) -> list[tuple[str, str]]:
    s3 = boto3.client(
        "s3", endpoint_url=stack.state.aws_endpoint_url, region_name=stack.state.region
    )
    listed = s3.list_object_versions(Bucket=stack.state.bucket)
    return sorted((v["Key"], v["VersionId"]) for v in listed.get("Versions", []))


def test_preview_is_ingest_without_the_writes(
    stack: LocalStack, push: PushService, upload, state: str, run: Run, tmp_path: Path
) -> None:
    subscribe(stack, push.new_subscriber("reader"), ["all"])
    subscribe(stack, push.new_subscriber("follower"), ["all", f"article:{STORY}"])

    status, out, _ = run("preview", str(SAMPLES / f"{STORY}.txt"), "--state-file", state, "--json")
    first = json.loads(out)
    assert status == 0
    assert (first["status"], first["version"], first["change"], first["audience"]) == (
        "new_version",
        1,
        "new",
        "all",
    )
    assert first["key"] == KEY
    assert first["latest_version"] is None
    assert first["topics"] == [{"topic": "all", "subscribers": 2}]

    upload(f"{STORY}.txt", KEY)
    stack.wait_idle(timeout=30)
    before, objects = table_items(stack), object_versions(stack)

    update = str(SAMPLES / f"{STORY}-update.txt")
    status, out, _ = run("preview", update, "--key", KEY, "--state-file", state, "--json")
    preview = json.loads(out)
    assert status == 0
    assert preview["status"] == "new_version"
    assert (preview["version"], preview["latest_version"]) == (2, 1)
    assert (preview["change"], preview["audience"], preview["urgency"]) == (
        "update",
        "followers",
        "normal",
    )
    assert preview["topics"] == [{"topic": f"article:{STORY}", "subscribers": 1}]
    assert (preview["subscribers"], preview["subscribers_counted"]) == (1, "sum over topics")
    assert preview["held_until"] is None

    status, out, _ = run("preview", update, "--key", KEY, "--state-file", state)
    assert status == 0
    assert "nothing stored, nothing sent" in out
    assert "version 2 (update, audience followers); the story is at version 1" in out

    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    status, out, _ = run("preview", str(empty), "--key", KEY, "--state-file", state, "--json")
    assert (json.loads(out)["status"], json.loads(out)["reason"]) == (
        "rejected",
        "the file is empty; upload the article text",
    )
    status, out, _ = run("preview", str(SAMPLES / f"{STORY}.txt"), "--state-file", state, "--json")
    assert (json.loads(out)["status"], json.loads(out)["latest_version"]) == ("unchanged", 1)

    # Nothing stored: no version, no head moved, no rejection recorded, no object uploaded.
    assert table_items(stack) == before
    assert object_versions(stack) == objects

    # What the preview said is what ingest then does.
    upload(f"{STORY}-update.txt", KEY)
    stack.wait_idle(timeout=30)
    stored = stack.version_item(STORY, 2)
    assert stored is not None
    for name in ("headline", "dateline", "summary", "change", "audience", "change_line"):
        assert preview[name] == stored[name], name
    assert (preview["changed_words"], preview["compared_with"]) == (
        stored["changed_words"],
        stored["compared_with"],
    )

    # Version 2 opened the followers' cooldown window: another update would wait for it.
    status, out, _ = run("preview", str(SAMPLES / f"{STORY}.txt"), "--state-file", state, "--json")
    held = json.loads(out)
    assert (held["version"], held["audience"]) == (3, "followers")
    assert held["held_until"] is not None


def test_history_and_diff_of_a_story(
    stack: LocalStack, push: PushService, upload, state: str, run: Run
) -> None:
    subscribe(stack, push.new_subscriber("reader"), ["all"])
    subscribe(stack, push.new_subscriber("follower"), ["all", f"article:{STORY}"])
    for sample in (f"{STORY}.txt", f"{STORY}-update.txt", f"{STORY}-correction.txt"):
        upload(sample, KEY)
        stack.wait_idle(timeout=30)

    status, out, _ = run("history", STORY, "--state-file", state, "--json")
    history = json.loads(out)
    assert status == 0
    assert [(v["version"], v["change"], v["audience"]) for v in history["versions"]] == [
        (1, "new", "all"),
        (2, "update", "followers"),
        (3, "correction", "none"),
    ]
    assert history["versions"][0]["delivery"] == {
        "sent": 2,
        "expired": 0,
        "failed": 0,
        "retried": 0,
        "clicks": 0,
        "unfollows": 0,
    }
    assert history["versions"][1]["delivery"]["sent"] == 1
    assert history["versions"][2]["delivery"] is None
    assert history["versions"][2]["change_line"] == "Russian officials welcomed the announcement."
    assert history["held"] is None

    status, out, _ = run("history", f"articles/{STORY}.txt", "--state-file", state)
    assert status == 0
    assert "v3  Russian officials welcomed the announcement." in out

    # The last two versions by default: the one-word correction.
    status, out, _ = run("diff", STORY, "--state-file", state, "--json")
    diff = json.loads(out)
    assert (diff["from"], diff["to"], diff["changed_words"]) == (2, 3, 1)
    assert [op for op in diff["body"] if op["op"] != "equal"] == [
        {"op": "delete", "text": "announcment"},
        {"op": "insert", "text": "announcement"},
    ]
    status, out, _ = run("diff", STORY, "--state-file", state)
    assert "[-announcment-]{+announcement+}" in out

    status, out, _ = run("diff", STORY, "1", "v2", "--state-file", state)
    assert status == 0
    assert "version 1 → version 2" in out
    assert "headline: NATO[- Will Resume-]{+, Russia Set Munich Date for First+}" in out
    status, out, _ = run("diff", STORY, "1", "--state-file", state, "--json")
    assert (json.loads(out)["from"], json.loads(out)["to"]) == (1, 3)

    # A further update inside the window opened by version 2 is held for it (the window's
    # message waits on the cooldown queue, so the stack is not idle until it closes).
    upload(f"{STORY}.txt", KEY)
    wait_for(
        lambda: (
            json.loads(run("history", STORY, "--state-file", state, "--json")[1])["held"]
            is not None
        ),
        timeout=30,
    )
    status, out, _ = run("history", STORY, "--state-file", state, "--json")
    assert json.loads(out)["held"]["version"] == 4
    assert json.loads(out)["held"]["covers"] == 1
    status, out, _ = run("history", STORY, "--state-file", state)
    assert "v4 held, goes out at " in out
    assert "covering 1 update" in out


def test_wrong_articles_and_versions_are_one_line_each(
    stack: LocalStack, upload, state: str, run: Run
) -> None:
    upload("rail-strike-talks.txt", "articles/rail-strike-talks.txt")
    stack.wait_idle(timeout=30)
    cases = [
        (("history", "no-such-story"), 1, "no article 'no-such-story' in table stoppress-local"),
        (("diff", "no-such-story"), 1, "no article 'no-such-story'"),
        (("diff", "rail-strike-talks"), 1, "has only version 1: nothing to compare"),
        (("diff", "rail-strike-talks", "1", "9"), 2, "has no version 9 (it has version 1 only)"),
        (("diff", "rail-strike-talks", "one"), 2, "a version is a number from 1"),
    ]
    for args, want, says in cases:
        status, out, err = run(*args, "--state-file", state)
        assert status == want, args
        assert out == ""
        assert err.count("\n") == 1, err
        assert says in err, err


def test_diff_reads_bodies_left_in_s3(tmp_path: Path, run: Run) -> None:
    with LocalStack(env_overrides={"INLINE_BODY_LIMIT": "100"}) as stack:
        state = tmp_path / "state.json"
        write_state_file(state, stack.state)
        s3 = boto3.client(
            "s3", endpoint_url=stack.state.aws_endpoint_url, region_name=stack.state.region
        )
        for sample in (f"{STORY}.txt", f"{STORY}-update.txt"):
            s3.put_object(Bucket=stack.state.bucket, Key=KEY, Body=(SAMPLES / sample).read_bytes())
            stack.wait_idle(timeout=30)
        stored = stack.version_item(STORY, 2)
        assert stored is not None
        assert stored["body_in_source"] is True
        assert "body" not in stored

        status, out, _ = run("diff", STORY, "--state-file", str(state), "--json")
        diff = json.loads(out)
        assert status == 0
        inserted = "".join(op["text"] for op in diff["body"] if op["op"] == "insert")
        assert "Munich Security Conference" in inserted
        assert diff["changed_words"] == stored["changed_words"]

        # The preview reads the stored versions' bodies back from S3 too, as ingest does.
        correction = str(SAMPLES / f"{STORY}-correction.txt")
        status, out, _ = run(
            "preview", correction, "--key", KEY, "--state-file", str(state), "--json"
        )
        preview = json.loads(out)
        assert (preview["change"], preview["audience"], preview["changed_words"]) == (
            "correction",
            "none",
            1,
        )


def test_rejected_uploads_newest_first(
    stack: LocalStack, upload, state: str, run: Run, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    upload(empty, "articles/mayor-statement.txt")
    stack.wait_idle(timeout=30)
    upload(binary, "articles/photo.txt")
    upload(f"{STORY}.txt", KEY)
    stack.wait_idle(timeout=30)

    status, out, _ = run("rejected", "--state-file", state, "--json")
    found = json.loads(out)
    assert status == 0
    assert (found["count"], found["complete"]) == (2, True)
    assert [r["key"] for r in found["rejections"]] == [
        "articles/photo.txt",
        "articles/mayor-statement.txt",
    ]
    assert found["rejections"][1]["reason"] == "the file is empty; upload the article text"
    assert "binary" in found["rejections"][0]["reason"]
    assert found["rejections"][0]["bucket"] == stack.state.bucket

    status, out, _ = run("rejected", "--state-file", state)
    assert "articles/mayor-statement.txt" in out
    assert "2 rejected uploads since" in out

    status, out, _ = run("rejected", "--since", "2999-01-01", "--state-file", state, "--json")
    assert json.loads(out)["count"] == 0
    status, out, _ = run("rejected", "--scan-limit", "1", "--state-file", state, "--json")
    assert (json.loads(out)["complete"], json.loads(out)["scanned"]) == (False, 1)


def test_an_unreachable_stack_is_one_line(stack: LocalStack, tmp_path: Path, run: Run) -> None:
    state = tmp_path / "state.json"
    write_state_file(state, stack.state)
    endpoint = stack.state.aws_endpoint_url
    stack.stop()
    for args in (("history", STORY), ("rejected",), ("diff", STORY)):
        status, out, err = run(*args, "--state-file", str(state))
        assert status == 1
        assert out == ""
        assert err.count("\n") == 1, err
        assert f"cannot reach table stoppress-local (the local stack, {endpoint})" in err
        assert "is `stoppress dev` still running?" in err


# -- a deployed stack, found by name ---------------------------------------------------------

TINY_STACK = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {"TopicShards": {"Type": "Number", "Default": "2"}},
    "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
    "Outputs": {
        "BucketName": {"Value": "stoppress-test-articles"},
        "TableName": {"Value": "stoppress-test"},
    },
}


@pytest.fixture
def deployed(table: str, bucket: str) -> str:
    """A CloudFormation stack whose outputs name the moto table and bucket."""
    boto3.client("cloudformation").create_stack(
        StackName="news-prod", TemplateBody=json.dumps(TINY_STACK)
    )
    return "news-prod"


def test_a_deployed_stack_is_found_by_its_outputs(deployed: str, run: Run) -> None:
    ddb = boto3.client("dynamodb")
    # Shards 0 and 1 count; shard 7 is past the stack's TopicShards and holds nobody.
    for shard, sub in ((0, "a"), (1, "b"), (1, "c"), (7, "d")):
        ddb.put_item(
            TableName="stoppress-test",
            Item={"pk": {"S": f"TOPIC#all#{shard}"}, "sk": {"S": f"SUB#{sub}"}},
        )
    options = ("--stack-name", deployed, "--region", "us-east-1", "--json")
    status, out, err = run("preview", str(SAMPLES / "rail-strike-talks.txt"), *options)
    assert status == 0, err
    preview = json.loads(out)
    assert (preview["status"], preview["version"]) == ("new_version", 1)
    assert preview["topics"] == [{"topic": "all", "subscribers": 3}]

    status, out, err = run("history", "rail-strike-talks", *options)
    assert status == 1
    assert "no article 'rail-strike-talks' in table stoppress-test (stack news-prod" in err

    status, out, err = run("rejected", *options)
    assert (status, json.loads(out)["count"]) == (0, 0)

    status, out, err = run("history", "x", "--stack-name", "no-such-stack", "--region", "us-east-1")
    assert status == 1
    assert err == "stoppress history: no stack named 'no-such-stack' in region us-east-1\n"

"""make sam-local: the events/ files fit the local stack, run in an order that works, and
each invocation is judged by its answer and its effect on the table."""

import hashlib
import json
import urllib.parse

import pytest

from stoppress.contracts.keys import (
    SUB_SK,
    article_pk,
    delivery_sk,
    subscription_id,
    subscription_pk,
    version_sk,
)
from stoppress.webpush.endpoints import canonical_endpoint
from stoppress_dev.localstack.lifecycle import DEFAULT_NAME
from stoppress_dev.samcheck.events import load_events
from stoppress_dev.samlocal.invoke import event_time, template_plan
from stoppress_dev.samlocal.judge import judge, parse_payload
from stoppress_dev.samlocal.samples import SAMPLE_OBJECTS
from stoppress_dev.samlocal.stack import ENV_FILE, env_file_for_port

LOCAL_BUCKET = f"{DEFAULT_NAME}-articles"


def _events() -> dict[str, dict]:
    return {name: event for name, _, event in load_events()}


def test_every_s3_event_names_an_object_version_the_stack_stores():
    seeded = {(s.key, s.version_id): s for s in SAMPLE_OBJECTS}
    records = [r for e in _events().values() for r in e.get("Records", []) if "s3" in r]
    assert records
    for record in records:
        obj = record["s3"]["object"]
        assert record["s3"]["bucket"]["name"] == LOCAL_BUCKET
        sample = seeded[(urllib.parse.unquote_plus(obj["key"]), obj["versionId"])]
        assert obj["size"] == len(sample.body)
        assert obj["eTag"] == hashlib.md5(sample.body).hexdigest()


def test_env_file_points_every_function_at_the_stack_from_a_container():
    env = json.loads(ENV_FILE.read_text(encoding="utf-8"))
    for variables in env.values():
        assert variables["AWS_ENDPOINT_URL"] == "http://host.docker.internal:4566"
        assert variables["TABLE_NAME"] == DEFAULT_NAME
        if "PUSH_QUEUE_URL" in variables:
            assert variables["PUSH_QUEUE_URL"].endswith(f"/{DEFAULT_NAME}-push-jobs")
    moved = json.loads(env_file_for_port(ENV_FILE.read_text(encoding="utf-8"), 40123))
    assert moved["SendFunction"]["PUSH_QUEUE_URL"].startswith("http://host.docker.internal:40123/")


def test_every_event_file_runs_and_in_an_order_that_works():
    plan = [(i.function, i.event_file) for i in template_plan()]
    assert {name for _, name in plan} == set(_events())
    functions = [f for f, _ in plan]
    # Notify records its jobs before Ingest's versions reach the stack's own Notify;
    # Subscribe last, so Send finds no member to push to.
    assert functions.index("NotifyFunction") < functions.index("IngestFunction")
    assert functions[-1] == "SubscribeFunction"
    files = [name for _, name in plan]
    assert files.index("s3-put.json") < files.index("s3-put-update.json")
    assert files.index("api-subscribe.json") < files.index("api-unsubscribe.json")
    # The lookup lists what the subscription follows while there is one.
    assert (
        files.index("api-subscribe.json")
        < files.index("api-subscriptions-lookup.json")
        < files.index("api-unsubscribe.json")
    )


def test_stream_files_go_only_where_the_functions_filters_pass_them():
    plan = {(i.function, i.event_file) for i in template_plan()}
    assert ("AudienceFunction", "stream-audience-members.json") in plan
    assert ("NotifyFunction", "stream-audience-members.json") not in plan
    assert ("AudienceFunction", "stream-new-version.json") not in plan


def test_membership_events_need_the_audience_counters_moved():
    event = _events()["stream-audience-members.json"]
    answer = {"batchItemFailures": []}
    moved = {
        ("AUDIENCE#all", "COUNT#3"): {"members": 1},
        ("AUDIENCE#tag:world", "COUNT#3"): {"members": 1},
        ("AUDIENCE#article:nato-resumes-contacts", "COUNT#3"): {"members": -1},
    }
    assert judge("DynamoDB", event, answer, {}, moved, vapid_public_key="k").ok
    assert not judge("DynamoDB", event, answer, moved, moved, vapid_public_key="k").ok
    twice = {**moved, ("AUDIENCE#all", "COUNT#4"): {"members": 1}}
    assert not judge("DynamoDB", event, answer, {}, twice, vapid_public_key="k").ok


def test_event_time_reads_each_source():
    events = _events()
    assert event_time(events["s3-put.json"]) < event_time(events["s3-put-update.json"])
    assert event_time(events["stream-new-version.json"]) < event_time(
        events["stream-update-followers.json"]
    )
    assert event_time(events["sqs-push-job.json"]) > 0
    assert event_time(events["api-subscribe.json"]) > 0


def test_payload_is_read_from_sams_stdout():
    assert parse_payload('{"records": 0}') == {"records": 0}
    assert parse_payload('noise\n{"a": 1}\n') == {"a": 1}
    assert parse_payload("") is None


def _put_outcome(version: int) -> dict:
    return {
        "records": 1,
        "outcomes": [
            {
                "status": "stored",
                "key": "articles/nato-resumes-contacts.txt",
                "article_id": "nato-resumes-contacts",
                "version": version,
                "change": "new",
                "audience": "all",
            }
        ],
    }


def test_a_stored_version_passes_only_when_it_is_in_the_table():
    event = _events()["s3-put.json"]
    version_id = event["Records"][0]["s3"]["object"]["versionId"]
    key = (article_pk("nato-resumes-contacts"), version_sk(1))
    after = {key: {"source_version_id": version_id}}
    ok = judge("S3", event, _put_outcome(1), {}, after, vapid_public_key="k")
    assert ok.ok, ok.problems
    assert "stored nato-resumes-contacts v1" in ok.summary
    assert not judge("S3", event, _put_outcome(1), {}, {}, vapid_public_key="k").ok
    assert not judge("S3", event, _put_outcome(1), after, after, vapid_public_key="k").ok


@pytest.mark.parametrize(
    "payload",
    [
        None,
        {"errorType": "TransientError", "errorMessage": "boom"},
        {"batchItemFailures": [{"itemIdentifier": "1"}]},
        {"statusCode": 503, "body": "{}"},
    ],
)
def test_a_failed_answer_fails_whatever_the_table_says(payload):
    event = _events()["sqs-push-job.json"]
    assert not judge("SQS:PushJobsQueue", event, payload, {}, {}, vapid_public_key="k").ok


def test_a_rejected_upload_fails():
    payload = {"records": 1, "outcomes": [{"status": "rejected", "key": "articles/x.txt"}]}
    event = _events()["s3-put.json"]
    assert not judge("S3", event, payload, {}, {}, vapid_public_key="k").ok


def test_stream_and_push_job_events_need_their_writes():
    events = _events()
    stream = events["stream-new-version.json"]
    ledger = {(article_pk("nato-resumes-contacts"), "JOB#000001#all#0"): {}}
    answer = {"batchItemFailures": []}
    assert judge("DynamoDB", stream, answer, {}, ledger, vapid_public_key="k").ok
    assert not judge("DynamoDB", stream, answer, ledger, ledger, vapid_public_key="k").ok
    job = events["sqs-push-job.json"]
    body = json.loads(job["Records"][0]["body"])
    claim = {(article_pk(body["article_id"]), f"SEND#{body['version']:06d}#x"): {}}
    assert judge("SQS:PushJobsQueue", job, answer, {}, claim, vapid_public_key="k").ok
    assert not judge("SQS:PushJobsQueue", job, answer, {}, {}, vapid_public_key="k").ok


def test_a_window_event_needs_what_was_held_released():
    window = _events()["sqs-cooldown-window.json"]
    gate = (article_pk("nato-resumes-contacts"), "COOLDOWN")
    answer = {"batchItemFailures": []}
    assert judge("SQS:CooldownQueue", window, answer, {}, {}, vapid_public_key="k").ok
    held = {gate: {"held_version": 3, "pushed_version": 2}}
    released = {
        gate: {"held_version": 0, "pushed_version": 3},
        (article_pk("nato-resumes-contacts"), "JOB#000003#article:nato-resumes-contacts#0"): {},
    }
    assert judge("SQS:CooldownQueue", window, answer, held, released, vapid_public_key="k").ok
    assert not judge("SQS:CooldownQueue", window, answer, held, held, vapid_public_key="k").ok


def test_queue_events_go_to_the_function_that_reads_that_queue():
    plan = {(i.function, i.event_file) for i in template_plan()}
    assert ("SendFunction", "sqs-push-job.json") in plan
    assert ("NotifyFunction", "sqs-cooldown-window.json") in plan
    assert ("NotifyFunction", "sqs-push-job.json") not in plan
    assert ("SendFunction", "sqs-cooldown-window.json") not in plan


def test_subscribe_events_need_the_subscription_stored_then_removed():
    events = _events()
    sub_id = "9eb3f2cb475fc857cebb58b289e2c4db"
    stored = {(subscription_pk(sub_id), SUB_SK): {"topics": ["all"]}}
    created = {"statusCode": 201, "body": json.dumps({"id": sub_id})}
    assert judge(
        "HttpApi", events["api-subscribe.json"], created, {}, stored, vapid_public_key="k"
    ).ok
    assert not judge(
        "HttpApi", events["api-subscribe.json"], created, {}, {}, vapid_public_key="k"
    ).ok
    removed = {"statusCode": 204, "body": None}
    unsubscribe = events["api-unsubscribe.json"]
    assert judge("HttpApi", unsubscribe, removed, stored, {}, vapid_public_key="k").ok
    assert not judge("HttpApi", unsubscribe, removed, {}, {}, vapid_public_key="k").ok
    key = {"statusCode": 200, "body": json.dumps({"publicKey": "k"})}
    vapid = events["api-get-vapid-public-key.json"]
    assert judge("HttpApi", vapid, key, {}, {}, vapid_public_key="k").ok
    assert not judge("HttpApi", vapid, key, {}, {}, vapid_public_key="other").ok


def test_a_lookup_needs_the_subscription_and_lists_only_its_topics():
    events = _events()
    lookup = events["api-subscriptions-lookup.json"]
    sub_id = subscription_id(canonical_endpoint(json.loads(lookup["body"])["endpoint"]))
    topics = ["all", "article:nato-resumes-contacts"]
    stored = {(subscription_pk(sub_id), SUB_SK): {"topics": topics}}
    story = {
        "topic": "article:nato-resumes-contacts",
        "kind": "story",
        "article_id": "nato-resumes-contacts",
        "headline": "NATO Will Resume Top-Level Contacts",
    }

    def answer(status: int, body: object) -> dict:
        return {"statusCode": status, "body": json.dumps(body)}

    listed = answer(200, {"topics": topics, "follows": [story]})
    verdict = judge("HttpApi", lookup, listed, stored, stored, vapid_public_key="k")
    assert verdict.ok, verdict.problems
    assert "NATO Will Resume Top-Level Contacts" in verdict.summary
    assert not judge("HttpApi", lookup, listed, {}, {}, vapid_public_key="k").ok
    strange = answer(200, {"topics": ["tag:elsewhere"], "follows": []})
    assert not judge("HttpApi", lookup, strange, stored, stored, vapid_public_key="k").ok
    refused = answer(403, {"error": {"code": "forbidden", "message": "no"}})
    assert not judge("HttpApi", lookup, refused, stored, stored, vapid_public_key="k").ok


def test_a_click_event_needs_the_versions_click_count_one_higher():
    click = _events()["api-events-click.json"]
    request = json.loads(click["body"])
    key = (article_pk(request["article_id"]), delivery_sk(request["version"]))
    counted = {"statusCode": 204, "body": None}
    before = {key: {"sent": 3, "clicks": 1}}

    verdict = judge(
        "HttpApi", click, counted, before, {key: {"sent": 3, "clicks": 2}}, vapid_public_key="k"
    )
    assert verdict.ok, verdict.problems
    assert "clicks" in verdict.summary
    assert judge("HttpApi", click, counted, {}, {key: {"clicks": 1}}, vapid_public_key="k").ok
    assert not judge("HttpApi", click, counted, before, before, vapid_public_key="k").ok
    twice = {key: {"sent": 3, "clicks": 3}}
    assert not judge("HttpApi", click, counted, before, twice, vapid_public_key="k").ok
    unfollowed = {key: {"sent": 3, "clicks": 1, "unfollows": 1}}
    assert not judge("HttpApi", click, counted, before, unfollowed, vapid_public_key="k").ok
    missing = {"statusCode": 404, "body": json.dumps({"error": {"code": "not_found"}})}
    assert not judge("HttpApi", click, missing, {}, {}, vapid_public_key="k").ok

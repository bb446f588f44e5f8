"""Whether an invocation did its job: judged by the function's answer and by what changed
in the table, never by ``sam local invoke``'s exit status (0 even when the handler raised).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stoppress.contracts.engagement import ENGAGEMENT_COUNTERS
from stoppress.contracts.keys import (
    AUDIENCE_PK_PREFIX,
    COOLDOWN_SK,
    SUB_SK,
    article_pk,
    delivery_sk,
    job_ledger_prefix,
    send_claim_sk,
    subscription_id,
    subscription_pk,
    version_sk,
)
from stoppress.subscriptions.audience import member_delta
from stoppress.webpush.endpoints import canonical_endpoint

# (pk, sk) -> the item, as plain values.
Table = Mapping[tuple[str, str], Mapping[str, Any]]


@dataclass(frozen=True)
class Verdict:
    """What the invocation did, in a few words, and what was wrong with it."""

    summary: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_payload(stdout: str) -> Any:
    """The response ``sam local invoke`` prints on stdout (its own output goes to stderr)."""
    text = stdout.strip()
    for candidate in (text, *reversed(text.splitlines())):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def _answer_problems(payload: Any) -> list[str]:
    """What is wrong with the answer itself, whatever the event."""
    if payload is None:
        return ["no response on stdout"]
    if not isinstance(payload, dict):
        return []
    if "errorType" in payload or "errorMessage" in payload:
        return [f"the handler raised {payload.get('errorType')}: {payload.get('errorMessage')}"]
    problems = []
    failures = payload.get("batchItemFailures")
    if failures:
        problems.append(f"{len(failures)} batch item failure(s)")
    status = payload.get("statusCode")
    if isinstance(status, int) and status >= 400:
        problems.append(f"HTTP {status} {str(payload.get('body', ''))[:200]}")
    return problems


def _added(before: Table, after: Table, pk: str, sk_prefix: str) -> list[tuple[str, str]]:
    return [k for k in after if k not in before and k[0] == pk and k[1].startswith(sk_prefix)]


def _judge_s3(event: Mapping[str, Any], payload: Any, before: Table, after: Table) -> Verdict:
    if event.get("Event") == "s3:TestEvent":
        if isinstance(payload, dict) and payload.get("ignored") == "s3:TestEvent":
            return Verdict("ignored, as on AWS")
        return Verdict("", ("the s3:TestEvent was not recognised",))
    outcomes = {o.get("key"): o for o in payload.get("outcomes", [])}
    done, problems = [], []
    for record in event["Records"]:
        obj = record["s3"]["object"]
        key = urllib.parse.unquote_plus(obj["key"])
        outcome = outcomes.get(key)
        if outcome is None or outcome.get("status") != "stored":
            problems.append(f"{key}: {outcome or 'no outcome'}")
            continue
        article_id, number = outcome["article_id"], int(outcome["version"])
        item = after.get((article_pk(article_id), version_sk(number)))
        if item is None or (article_pk(article_id), version_sk(number)) in before:
            problems.append(f"{key}: no new {version_sk(number)} of {article_id} in the table")
        elif obj.get("versionId") and item.get("source_version_id") != obj["versionId"]:
            problems.append(
                f"{key}: {version_sk(number)} is not from S3 version {obj['versionId']}"
            )
        else:
            done.append(
                f"stored {article_id} v{number} ({outcome.get('change')}, "
                f"audience {outcome.get('audience')})"
            )
    return Verdict("; ".join(done), tuple(problems))


def _audiences(table: Table) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (pk, _), item in table.items():
        if pk.startswith(AUDIENCE_PK_PREFIX) and "members" in item:
            topic = pk[len(AUDIENCE_PK_PREFIX) :]
            counts[topic] = counts.get(topic, 0) + int(item["members"])
    return counts


def _judge_audience(event: Mapping[str, Any], before: Table, after: Table) -> Verdict:
    """Membership records: each topic's counters moved by the records' net change."""
    expected: dict[str, int] = {}
    for record in event["Records"]:
        delta = member_delta(record)
        if delta is not None:
            expected[delta[0]] = expected.get(delta[0], 0) + delta[1]
    was, now = _audiences(before), _audiences(after)
    moved = {t: now.get(t, 0) - was.get(t, 0) for t in set(was) | set(now) | set(expected)}
    problems = [
        f"audience of {t} moved by {moved[t]}, not {expected.get(t, 0)}"
        for t in sorted(moved)
        if moved[t] != expected.get(t, 0)
    ]
    summary = ", ".join(f"{t} {n:+d}" for t, n in sorted(expected.items()) if n)
    return Verdict(f"audience counts {summary}", tuple(problems))


def _judge_stream(event: Mapping[str, Any], before: Table, after: Table) -> Verdict:
    if any(member_delta(r) is not None for r in event["Records"]):
        return _judge_audience(event, before, after)
    done, problems = [], []
    for record in event["Records"]:
        image = record.get("dynamodb", {}).get("NewImage", {})
        if (
            image.get("type", {}).get("S") != "version"
            or image.get("audience", {}).get("S") == "none"
        ):
            continue
        article_id, number = image["article_id"]["S"], int(image["number"]["N"])
        jobs = _added(before, after, article_pk(article_id), job_ledger_prefix(number))
        if not jobs:
            problems.append(f"no push job of {article_id} v{number} recorded in the table")
        else:
            done.append(f"{len(jobs)} push jobs for {article_id} v{number}")
    return Verdict("; ".join(done), tuple(problems))


def _judge_sqs(event: Mapping[str, Any], before: Table, after: Table) -> Verdict:
    done, problems = [], []
    for record in event["Records"]:
        job = json.loads(record["body"])
        article_id, number = job["article_id"], int(job["version"])
        claims = _added(before, after, article_pk(article_id), send_claim_sk(number, ""))
        if not claims:
            problems.append(f"no send of {article_id} v{number} recorded in the table")
        else:
            done.append(f"sent {article_id} v{number} {job.get('topic')}#{job.get('shard')}")
    return Verdict("; ".join(done), tuple(problems))


def _judge_window(event: Mapping[str, Any], before: Table, after: Table) -> Verdict:
    """A cooldown window's message: what the story's gate held is released (or nothing was)."""
    done, problems = [], []
    for record in event["Records"]:
        article_id = json.loads(record["body"])["article_id"]
        key = (article_pk(article_id), COOLDOWN_SK)
        held = int((before.get(key) or {}).get("held_version") or 0)
        if not held:
            done.append(f"{article_id}: window closed, nothing held")
            continue
        gate = after.get(key) or {}
        jobs = _added(before, after, article_pk(article_id), job_ledger_prefix(held))
        if int(gate.get("pushed_version") or 0) < held or not jobs:
            problems.append(f"{article_id}: held v{held} not released")
        else:
            done.append(f"{article_id}: held v{held} released, {len(jobs)} push jobs")
    return Verdict("; ".join(done), tuple(problems))


def _judge_api(
    event: Mapping[str, Any], payload: Any, before: Table, after: Table, vapid_public_key: str
) -> Verdict:
    route = event.get("routeKey", "")
    status = payload.get("statusCode")
    try:
        body = json.loads(payload.get("body") or "null")
        request = json.loads(event.get("body") or "null")
    except ValueError:
        return Verdict("", (f"{route}: a body that is not JSON",))
    if route == "GET /vapid-public-key":
        if status != 200 or not isinstance(body, dict) or body.get("publicKey") != vapid_public_key:
            return Verdict("", (f"{route}: {status}, not the stack's VAPID public key",))
        return Verdict("200, the stack's VAPID public key")
    if route == "POST /subscriptions":
        key = (subscription_pk(str(body.get("id"))), SUB_SK) if isinstance(body, dict) else None
        if status != 201 or key is None or key not in after:
            return Verdict("", (f"{route}: {status}, no subscription stored",))
        return Verdict(f"201, subscription {key[0]} stored, topics {after[key].get('topics')}")
    if route == "POST /subscriptions/lookup":
        return _judge_lookup(route, status, body, request, after)
    if route == "POST /events":
        return _judge_event(route, status, request, before, after)
    if route == "DELETE /subscriptions":
        endpoint = canonical_endpoint(request["endpoint"])
        key = (subscription_pk(subscription_id(endpoint)), SUB_SK)
        if status != 204 or key not in before or key in after:
            return Verdict("", (f"{route}: {status}, {key[0]} not removed",))
        return Verdict(f"204, subscription {key[0]} removed")
    return Verdict(f"{status}")


def _judge_event(route: str, status: Any, request: Any, before: Table, after: Table) -> Verdict:
    """204, and the version's counter for the action one higher than before."""
    try:
        key = (article_pk(request["article_id"]), delivery_sk(int(request["version"])))
        counter = ENGAGEMENT_COUNTERS[request["action"]]
    except (TypeError, KeyError, ValueError):
        return Verdict("", (f"{route}: a request that is not an engagement event",))
    was = int((before.get(key) or {}).get(counter) or 0)
    now = int((after.get(key) or {}).get(counter) or 0)
    if status != 204 or now != was + 1:
        return Verdict("", (f"{route}: {status}, {counter} of {key[0]} {key[1]} {was} → {now}",))
    return Verdict(f"204, {counter} of {key[0]} {key[1]} {was} → {now}")


def _judge_lookup(route: str, status: Any, body: Any, request: Any, after: Table) -> Verdict:
    """200 with what the stored subscription follows: no topic it does not have."""
    endpoint = canonical_endpoint(request["endpoint"])
    key = (subscription_pk(subscription_id(endpoint)), SUB_SK)
    stored = after.get(key)
    if status != 200 or stored is None or not isinstance(body, dict):
        return Verdict("", (f"{route}: {status}, no follows of {key[0]} listed",))
    topics, follows = body.get("topics"), body.get("follows")
    if not isinstance(topics, list) or not isinstance(follows, list):
        return Verdict("", (f"{route}: an answer without topics and follows",))
    strange = [t for t in topics if t not in (stored.get("topics") or ())]
    if strange:
        return Verdict("", (f"{route}: topics {key[0]} does not have: {strange}",))
    listed = [f"{f.get('topic')} ({f.get('headline') or f.get('tag')})" for f in follows]
    return Verdict(f"200, {key[0]} follows {', '.join(listed) or 'nothing but all'}")


def judge(
    source: str,
    event: Mapping[str, Any],
    payload: Any,
    before: Table,
    after: Table,
    *,
    vapid_public_key: str,
) -> Verdict:
    """Judge one invocation of an event of ``source`` (the template's event Type)."""
    problems = _answer_problems(payload)
    if problems:
        return Verdict("", tuple(problems))
    if source == "S3":
        return _judge_s3(event, payload, before, after)
    if source == "DynamoDB":
        return _judge_stream(event, before, after)
    if source == "SQS:CooldownQueue":
        return _judge_window(event, before, after)
    if source.startswith("SQS"):
        return _judge_sqs(event, before, after)
    if source == "HttpApi":
        return _judge_api(event, payload, before, after, vapid_public_key)
    return Verdict("answered")

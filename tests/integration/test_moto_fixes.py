"""The local stack's fixes to moto's DynamoDB (``stoppress_dev.localstack.moto_fixes``).

Each test below fails on moto 5.2 as it is and passes with the fixes applied.
"""

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from stoppress_dev.localstack import moto_fixes
from tests.integration.test_notify import stream_records


@pytest.fixture
def fixed(table: str) -> Iterator[str]:
    with moto_fixes.applied():
        yield table


def _client() -> Any:
    return boto3.client("dynamodb")


def _item(pk: str, sk: str, **attrs: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _scan(table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = _client().scan(TableName=table)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def _models_made() -> int:
    """Items and tables moto has made so far (it keeps every model instance until reset)."""
    tracked: list[type[Any]] = [Item, Table]
    return sum(len(model.instances_tracked) for model in tracked)


def _stream_iterator(table: str) -> Any:
    streams = boto3.client("dynamodbstreams")
    arn = _client().describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    return streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]


def test_the_patched_moto_functions_are_the_ones_the_fixes_were_written_for() -> None:
    assert not moto_fixes.is_applied()
    assert moto_fixes.changed_functions() == [], (
        "moto changed under stoppress_dev/localstack/moto_fixes.py: review the fixes against "
        "the installed moto, then update FINGERPRINTS"
    )


def test_a_transaction_copies_nothing_in_proportion_to_the_table(fixed: str) -> None:
    client = _client()
    for start in range(0, 2000, 25):
        client.batch_write_item(
            RequestItems={
                fixed: [
                    {"PutRequest": {"Item": _item(f"SUB#{n}", "SUB", endpoint=f"e{n}")}}
                    for n in range(start, start + 25)
                ]
            }
        )
    models_before = _models_made()

    client.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": fixed, "Item": _item("SUB#new", "SUB")}},
            {"Put": {"TableName": fixed, "Item": _item("TOPIC#all#0", "SUB#new")}},
        ]
    )

    # moto keeps every model it makes until it is reset: a table copy would stay here.
    made = _models_made() - models_before
    assert made < 10
    assert len(_scan(fixed)) == 2002


def test_a_cancelled_transaction_leaves_items_as_they_were_and_the_stream_readable(
    fixed: str,
) -> None:
    client = _client()
    client.put_item(TableName=fixed, Item=_item("ARTICLE#a", "HEAD", version="1"))
    client.put_item(TableName=fixed, Item=_item("ARTICLE#a", "VERSION#000001", text="first"))
    client.put_item(TableName=fixed, Item=_item("ARTICLE#b", "HEAD", version="7"))
    before = _scan(fixed)
    streams = boto3.client("dynamodbstreams")
    iterator = _stream_iterator(fixed)

    with pytest.raises(ClientError) as cancelled:
        client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": fixed, "Item": _item("ARTICLE#a", "HEAD", version="2")}},
                {"Put": {"TableName": fixed, "Item": _item("ARTICLE#new", "HEAD", version="1")}},
                {"Delete": {"TableName": fixed, "Key": _key("ARTICLE#a", "VERSION#000001")}},
                {
                    "Update": {
                        "TableName": fixed,
                        "Key": _key("ARTICLE#b", "HEAD"),
                        "UpdateExpression": "SET version = :v",
                        "ExpressionAttributeValues": {":v": {"S": "8"}},
                    }
                },
                {
                    "Put": {
                        "TableName": fixed,
                        "Item": _item("ARTICLE#c", "HEAD", version="1"),
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert _scan(fixed) == before

    client.put_item(TableName=fixed, Item=_item("ARTICLE#d", "HEAD", version="1"))
    records = streams.get_records(ShardIterator=iterator)["Records"]
    # Only the write that happened: nothing of the cancelled transaction, and the
    # iterator taken before it still reads the table's shard.
    assert [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in records] == [
        ("INSERT", "ARTICLE#d")
    ]


def test_a_cancelled_transaction_never_undoes_one_that_committed_meanwhile(
    fixed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two writers conditioned on the same head: one wins, and what it wrote stays."""
    client = _client()
    client.put_item(TableName=fixed, Item=_item("ARTICLE#a", "HEAD", version="0"))
    first_paused, second_done = threading.Event(), threading.Event()
    stock_put = Table.put_item

    def put_item(self: Table, *args: Any, **kwargs: Any) -> Any:
        # The first writer stops between its condition check and its write, the
        # moment another request could slip in.
        if threading.current_thread().name == "first" and not first_paused.is_set():
            first_paused.set()
            second_done.wait(1.0)
        return stock_put(self, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", put_item)
    outcomes: dict[str, str] = {}

    def write(name: str) -> None:
        try:
            _client().transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": fixed,
                            "Item": _item("ARTICLE#a", "HEAD", version="1", writer=name),
                            "ConditionExpression": "version = :seen",
                            "ExpressionAttributeValues": {":seen": {"S": "0"}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": fixed,
                            "Item": _item("ARTICLE#a", "VERSION#000001", writer=name),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
            outcomes[name] = "committed"
        except ClientError as e:
            outcomes[name] = e.response["Error"]["Code"]
        finally:
            if name == "second":
                second_done.set()

    first = threading.Thread(target=write, args=("first",), name="first")
    second = threading.Thread(target=write, args=("second",), name="second")
    first.start()
    assert first_paused.wait(5)
    second.start()
    first.join(10)
    second.join(10)

    winners = [name for name, outcome in outcomes.items() if outcome == "committed"]
    assert len(winners) == 1, outcomes
    items = _scan(fixed)
    assert [(i["sk"]["S"], i.get("writer", {}).get("S")) for i in items] == [
        ("HEAD", winners[0]),
        ("VERSION#000001", winners[0]),
    ]


def test_fixes_are_undone_when_the_last_user_releases_them(table: str) -> None:
    from moto.dynamodb.models import DynamoDBBackend

    stock = DynamoDBBackend.__dict__["transact_write_items"]
    release_one = moto_fixes.apply()
    release_two = moto_fixes.apply()
    release_one()
    assert DynamoDBBackend.__dict__["transact_write_items"] is not stock
    release_two()
    release_two()
    assert DynamoDBBackend.__dict__["transact_write_items"] is stock
    assert not moto_fixes.is_applied()


def test_an_update_that_creates_an_item_is_one_insert_record(fixed: str) -> None:
    client = _client()
    client.update_item(
        TableName=fixed,
        Key=_key("TOPIC#all#0", "SUB#a"),
        UpdateExpression="SET endpoint = :e",
        ExpressionAttributeValues={":e": {"S": "https://push.example/a"}},
    )
    client.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": fixed,
                    "Key": _key("TOPIC#all#0", "SUB#b"),
                    "UpdateExpression": "SET endpoint = :e",
                    "ExpressionAttributeValues": {":e": {"S": "https://push.example/b"}},
                }
            }
        ]
    )
    client.update_item(
        TableName=fixed,
        Key=_key("TOPIC#all#0", "SUB#a"),
        UpdateExpression="SET failing = :t",
        ExpressionAttributeValues={":t": {"BOOL": True}},
    )

    records = list(stream_records(fixed))
    assert [(r["eventName"], r["dynamodb"]["Keys"]["sk"]["S"]) for r in records] == [
        ("INSERT", "SUB#a"),
        ("INSERT", "SUB#b"),
        ("MODIFY", "SUB#a"),
    ]
    assert records[0]["dynamodb"]["NewImage"]["endpoint"] == {"S": "https://push.example/a"}
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert sequence == sorted(sequence)

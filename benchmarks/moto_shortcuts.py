"""Less work for moto 5, same answers: the shortcuts the benchmarks take at scale.

moto runs inside the benchmark's process, so whatever it spends on a request
is counted as if DynamoDB had spent it, and some of its work grows with the
whole table. Each speed-up below patches moto's ``Table`` on entry and puts
moto's own code back on exit; each benchmark has a ``--stock-moto`` switch to
measure without them. Why each one leaves the results unchanged:

``partition_indexed_queries``
    moto answers a base-table Query by listing every item of the table
    (``Table.all_items``), keeping those of the asked partition, sorting them
    and walking past the previous pages: each page costs O(table). This hands
    moto the page's window of the partition's items, already in sort-key order
    (plus one item, so moto sees there is a next page); moto still sorts,
    skips to ``ExclusiveStartKey``, applies ``Limit``, the 1 MB cap, filters and
    projection, so items and ``LastEvaluatedKey`` are the ones it would give.
    A query with a sort-key condition gets the whole partition from its start
    key, since the condition may skip items the window would have counted.
    The sort is kept while a partition's size is unchanged: exact as long as
    no item of a queried partition is deleted and another added between two
    pages (no benchmark does that).

``put_only_transaction_backups`` and ``transaction_backups_sharing``
    Before every TransactWriteItems moto deep-copies each table it touches, to
    restore it if the transaction is cancelled: with 200,000 items the copy
    outlasts the clients' 10 s read timeout. Both names stand for the local
    stack's own fix, ``stoppress_dev.localstack.moto_fixes``: a transaction
    notes what each key held before writing it and a cancelled one puts exactly
    that back, stream records included, so nothing is copied and the answers
    are moto's. (The local stack applies it whenever it runs; the ingest
    benchmark, on ``mock_aws``, applies it through this module.)

``stream_set_aside`` with ``put_items``
    Writes the seeded subscriptions straight into moto's table, without HTTP
    and without stream records. On AWS they were written long before the
    article, and NotifyFunction's stream source starts at LATEST with its
    filter applied by Lambda, so it never sees them; the local stack reads its
    stream from the start and would spend about 4 ms on each to filter it out.
    The items are the ones BatchWriteItem would store (moto's own
    ``Table.put_item`` does the write).
"""

from __future__ import annotations

import bisect
import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from stoppress_dev.localstack import moto_fixes

if TYPE_CHECKING:
    from moto.dynamodb.models.table import Table


def moto_table(table_name: str) -> Table:
    """The moto ``Table`` behind ``table_name``; moto must run in this process."""
    from moto.dynamodb.models import dynamodb_backends

    for regions in dynamodb_backends.values():
        for backend in regions.values():
            if table_name in backend.tables:
                table: Table = backend.tables[table_name]
                return table
    raise LookupError(f"moto has no table {table_name!r}")


# -- Query ------------------------------------------------------------------------------


@contextlib.contextmanager
def partition_indexed_queries() -> Iterator[None]:
    """Base-table Queries read the window of the one partition they ask for."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    stock_all_items, stock_query = Table.all_items, Table.query
    window = threading.local()
    sorted_keys: dict[int, tuple[dict[Any, Any], int, list[Any]]] = {}

    def all_items(self: Table) -> list[Any]:
        got = getattr(window, "items", None)
        if got is not None and got[0] is self:
            return list(got[1])
        return stock_all_items(self)

    def query(self: Table, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        # moto calls Table.query(hash_key, range_comparison, range_objs, limit,
        # exclusive_start_key, scan_index_forward, projection_expressions, index_name, ...)
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name is None and hash_key is not None and self.range_key_attr:
            part = self.items.get(hash_key, {})
            cached = sorted_keys.get(id(part))
            # The partition itself is kept with its sort, so its id is not reused meanwhile.
            if cached is None or cached[0] is not part or cached[1] != len(part):
                cached = sorted_keys[id(part)] = (part, len(part), sorted(part))
            keys = cached[2]
            range_comparison = args[0] if args else None
            limit = args[2] if len(args) > 2 else None
            start = args[3] if len(args) > 3 else None
            forward = args[4] if len(args) > 4 else True
            filter_kwargs = set(kwargs) - {"hash_key_conditions", "range_key_conditions"}
            low, high = 0, len(keys)
            if start and self.range_key_attr in start:
                after = DynamoType(start[self.range_key_attr])
                if forward:
                    low = bisect.bisect_right(keys, after)
                else:
                    high = bisect.bisect_left(keys, after)
            if limit and not range_comparison and not filter_kwargs:
                if forward:
                    high = min(high, low + limit + 1)
                else:
                    low = max(low, high - limit - 1)
            window.items = (self, [part[k] for k in keys[low:high]])
        try:
            return stock_query(self, hash_key, *args, **kwargs)
        finally:
            window.items = None

    with moto_fixes.patched_attributes(Table, all_items=all_items, query=query):
        yield


# -- TransactWriteItems -----------------------------------------------------------------


def put_only_transaction_backups() -> contextlib.AbstractContextManager[None]:
    """Transactions journal what they change instead of copying tables (``moto_fixes``)."""
    return moto_fixes.applied()


def transaction_backups_sharing(
    prefixes: tuple[str, ...],
) -> contextlib.AbstractContextManager[None]:
    """The same as ``put_only_transaction_backups``: with a journal no partition is copied.

    ``prefixes`` named the partitions an earlier shortcut shared rather than copied.
    """
    del prefixes
    return moto_fixes.applied()


# -- seeding ----------------------------------------------------------------------------


@contextlib.contextmanager
def stream_set_aside(table: Table) -> Iterator[None]:
    """Writes to ``table`` meanwhile make no stream records."""
    stream, table.stream_shard = table.stream_shard, None
    try:
        yield
    finally:
        table.stream_shard = stream


def put_items(table: Table, items: Iterable[Mapping[str, Any]]) -> None:
    """Put plain-Python ``items`` (as boto3's Table resource takes them) into moto's table."""
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    for item in items:
        table.put_item({k: serializer.serialize(v) for k, v in item.items()})

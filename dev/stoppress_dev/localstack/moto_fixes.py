"""What the local stack changes in moto's DynamoDB, so that it holds concurrent load.

moto 5.2 answers each request of its server on a thread of its own, and its
DynamoDB backend was written for one request at a time. Under the local stack's
load that shows as three faults, each fixed here (and a fourth, in its stream):

Transactions copy whole tables (``transact_write_items``)
    Before each item of a TransactWriteItems, moto deep-copies every table the
    transaction touches, so that it can put the copy in the table's place if the
    transaction is cancelled. Each write then costs time and memory in proportion
    to the table, and the memory stays taken: every copied item is a moto model,
    and moto keeps every model instance it ever made in a class-level list until
    it is reset. The replacement applies the items exactly as moto does, but
    first notes, for each key it writes, the item that was there (or that none
    was) and how many records each touched table's stream held; cancelling puts
    those items back and drops the stream records the transaction added.

A cancelled transaction replaces the table
    moto's rollback puts the copy in the table's place. The copy has its own
    stream shard, so a stream reader holding an iterator keeps reading the old,
    dead shard and never sees another record. The replacement undoes the
    transaction in the table itself, which keeps its shard (see also the stream
    poller, ``stream.TableStream``, which re-describes the stream when a shard
    goes quiet).

Requests are not isolated from each other
    moto applies a transaction item by item, so a concurrent request sees half of
    it, and two transactions conditioned on the same item can both pass their
    check; a cancelled one, restoring its copy, even erased what another had
    committed meanwhile. Reads are not safe either: a GetItem of a missing key
    adds an empty partition to the table's dict while a Query or a table copy
    iterates over it ("dictionary changed size during iteration"). Every
    DynamoDB and DynamoDB Streams request therefore runs under one lock, which
    gives each request the atomicity DynamoDB gives it: a TransactWriteItems is
    all-or-nothing and serializable with every other write, and a stream reader
    never sees a record of a transaction that is later cancelled. moto holds the
    GIL while it works, so the lock costs little throughput.

An update that creates an item is two INSERT records (``update_item``)
    moto first puts the bare key, recording an INSERT, then records the update as
    a second INSERT. DynamoDB records one, and whoever counts INSERTs (audience
    counts) would count two. The replacement leaves one record with the item as
    updated.

``apply()`` patches moto (counted, so nested stacks share one patch) and returns
the function that undoes it; ``applied()`` is the same as a context manager.
Both refuse to patch a moto whose patched or relied-on functions differ from the
ones these fixes were written against (``changed_functions()``): the stack then
logs a warning and runs on stock moto, and the test that checks the fingerprints
fails.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib
import inspect
import logging
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType, Item
    from moto.dynamodb.models.table import Table

log = logging.getLogger("local-stack")

_MISSING = object()

# The moto functions these fixes replace, wrap or rely on, with the SHA-256 of their
# source in the moto they were written against. A moto whose source differs is not patched.
WRITTEN_FOR_MOTO = "5.2.5"
FINGERPRINTS = {
    # replaced by _transact_write_items
    "moto.dynamodb.models.DynamoDBBackend.transact_write_items": (
        "81db2cb7d94e39c90b3a2077e1f4bb41a449c558ef9b1b1e2910fdaa39978ad4"
    ),
    # run under the lock
    "moto.dynamodb.responses.DynamoHandler.call_action": (
        "ce5f57cf83cde3400fa73a201929d18af92aaba2bb301d4d74609a1467b8daaf"
    ),
    "moto.core.responses.BaseResponse.call_action": (
        "26076963fd17fd1a40be642032b5a8d90f159c19d01b80a5f0b0c839770ee0d6"
    ),
    # what the journal relies on: Put and Delete replace or remove item objects of the
    # partition maps, Update changes one in place, a stream shard appends to its list
    "moto.dynamodb.models.table.Table.put_item": (
        "de23933013ef842639046c19bcf7e418bce0474d810f6719368be4cedce11d47"
    ),
    "moto.dynamodb.models.table.Table.delete_item": (
        "1594f7b07616c8cb8cdf0fbf58d6f54eeac83f25d7ac7b14e832a08e10efd8f9"
    ),
    "moto.dynamodb.models.DynamoDBBackend.update_item": (
        "218984588dd689a5de81678ce11e6a40d05c91e7b6c21b44c4ed4122fe74aa9f"
    ),
    "moto.dynamodb.models.DynamoDBBackend.get_keys_value": (
        "1f948797496ddc2cd4e4752e29e470d19ce757ca3406e07fed6bd90b331c1caa"
    ),
    "moto.dynamodb.models.table.StreamShard.add": (
        "357dc6da267e5dd7d46e18ee25d14b232a98679677906a2f02e4d454d1f11e03"
    ),
}

# One lock for every DynamoDB and DynamoDB Streams request in this process.
_REQUESTS = threading.RLock()
_STATE = threading.Lock()
_applied = 0
_undo: Callable[[], None] | None = None


class MotoChangedError(RuntimeError):
    """The installed moto is not the one these fixes were written against."""


# -- fingerprints -----------------------------------------------------------------------


def _resolve(dotted: str) -> Any:
    """The object ``dotted`` names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            target: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            # A class's own attribute, not one it inherits.
            target = target.__dict__[name] if isinstance(target, type) else getattr(target, name)
        return target
    raise ImportError(f"cannot import {dotted}")


def fingerprint(dotted: str) -> str:
    """SHA-256 of the installed source of ``dotted`` (a function of moto's)."""
    target = inspect.unwrap(_resolve(dotted))
    source = inspect.getsource(target)
    return hashlib.sha256(source.encode()).hexdigest()


def changed_functions() -> list[str]:
    """The moto functions whose source differs from the one the fixes were written against."""
    changed = []
    for dotted, expected in FINGERPRINTS.items():
        try:
            got = fingerprint(dotted)
        except (ImportError, AttributeError, KeyError, OSError, TypeError):
            got = ""
        if got != expected:
            changed.append(dotted)
    return changed


# -- patching ---------------------------------------------------------------------------


@contextlib.contextmanager
def patched_attributes(owner: type, **attributes: Any) -> Iterator[None]:
    """Set ``attributes`` on ``owner`` for the duration, then restore what was there."""
    saved = {name: owner.__dict__.get(name, _MISSING) for name in attributes}
    for name, value in attributes.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is _MISSING:
                delattr(owner, name)
            else:
                setattr(owner, name, value)


def apply() -> Callable[[], None]:
    """Patch moto (once, however many callers); the returned function releases this caller.

    Raises MotoChangedError, patching nothing, when the installed moto differs.
    """
    global _applied, _undo
    with _STATE:
        if _applied == 0:
            changed = changed_functions()
            if changed:
                raise MotoChangedError(
                    f"moto's DynamoDB changed since {WRITTEN_FOR_MOTO} in {', '.join(changed)}: "
                    "review stoppress_dev/localstack/moto_fixes.py against the installed moto "
                    "and update its FINGERPRINTS"
                )
            patches = contextlib.ExitStack()
            for owner, attributes in _patches():
                patches.enter_context(patched_attributes(owner, **attributes))
            _undo = patches.close
        _applied += 1
    released = False

    def release() -> None:
        global _applied, _undo
        nonlocal released
        with _STATE:
            if released:
                return
            released = True
            _applied -= 1
            if _applied == 0 and _undo is not None:
                _undo()
                _undo = None

    return release


@contextlib.contextmanager
def applied() -> Iterator[None]:
    """``apply()`` for the duration of a ``with`` block."""
    release = apply()
    try:
        yield
    finally:
        release()


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold the lock every DynamoDB request takes while the fixes are applied."""
    with _REQUESTS:
        yield


def is_applied() -> bool:
    with _STATE:
        return _applied > 0


def _patches() -> list[tuple[type, dict[str, Any]]]:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    return [
        (
            DynamoDBBackend,
            {
                "transact_write_items": _transact_write_items,
                "update_item": _one_insert(DynamoDBBackend.update_item),
            },
        ),
        (DynamoHandler, {"call_action": _one_at_a_time(DynamoHandler.call_action)}),
        (
            DynamoDBStreamsHandler,
            {"call_action": _one_at_a_time(DynamoDBStreamsHandler.call_action)},
        ),
    ]


def _one_at_a_time(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def call(self: Any) -> Any:
        with _REQUESTS:
            return call_action(self)

    return call


def _one_insert(update_item: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(update_item)
    def update(self: Any, table_name: str, key: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        table = self.get_table(table_name)
        shard = table.stream_shard
        if shard is None:
            return update_item(self, table_name, key, *args, **kwargs)
        existed = table.get_item(*self.get_keys_value(table, key)) is not None
        length = len(shard.items)
        item = update_item(self, table_name, key, *args, **kwargs)
        if not existed and len(shard.items) == length + 2:
            del shard.items[length:]
            shard.add(None, item)
        return item

    return update


# -- transactions -----------------------------------------------------------------------


class _Journal:
    """What a transaction changed, so that cancelling it restores the tables in place."""

    def __init__(self, backend: DynamoDBBackend) -> None:
        self._backend = backend
        # (table, hash key, range key, whether the partition existed, the item before)
        self._items: list[tuple[Table, DynamoType, DynamoType | None, bool, Item | None]] = []
        self._streams: dict[int, tuple[Table, int]] = {}

    def remember(self, op_type: str, table_name: str, key: dict[str, Any]) -> None:
        """Note what ``key`` holds before the transaction's ``op_type`` writes it."""
        table = self._backend.get_table(table_name)
        hash_key, range_key = self._backend.get_keys_value(table, key)
        before: Item | None
        if table.range_key_attr:
            partition = table.items.get(hash_key)
            existed = partition is not None
            before = partition.get(range_key) if partition is not None else None
        else:
            existed = hash_key in table.items
            before = table.items.get(hash_key)  # type: ignore[assignment]
        if op_type == "Update" and before is not None:
            # Update changes the stored item in place; Put and Delete replace or remove it.
            before = copy.deepcopy(before)
        self._items.append((table, hash_key, range_key, existed, before))
        if table.stream_shard is not None and id(table) not in self._streams:
            self._streams[id(table)] = (table, len(table.stream_shard.items))

    def rollback(self) -> None:
        for table, hash_key, range_key, existed, before in reversed(self._items):
            if table.range_key_attr:
                partition = table.items.get(hash_key)
                if before is not None:
                    table.items[hash_key][range_key] = before
                elif partition is not None:
                    partition.pop(range_key, None)
                    if not partition and not existed:
                        del table.items[hash_key]
            elif before is not None:
                table.items[hash_key] = before  # type: ignore[assignment]
            else:
                table.items.pop(hash_key, None)
        for table, length in self._streams.values():
            shard = table.stream_shard
            if shard is not None and len(shard.items) >= length:
                del shard.items[length:]


def _transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
    """moto's ``transact_write_items`` with a journal instead of whole-table copies."""
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import (
        ConditionalCheckFailed,
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    with _REQUESTS:
        journal = _Journal(self)
        target_items: set[tuple[str, str]] = set()

        def check_unicity(table_name: str, key: dict[str, Any]) -> None:
            item = (str(table_name), str(dict(sorted(key.items()))))
            if item in target_items:
                raise MultipleTransactionsException()
            target_items.add(item)

        errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
        for item in transact_items:
            original_item: dict[str, Any] | None = None
            if len(list(item.keys())) > 1:
                journal.rollback()
                raise TransactWriteSingleOpException
            try:
                op_type, op = next(iter(item.items()))
                if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
                    raise ValueError("Unsupported transaction operation")

                table_name = op["TableName"]
                condition_expression = op.get("ConditionExpression")
                expression_attribute_names = op.get("ExpressionAttributeNames")
                expression_attribute_values = op.get("ExpressionAttributeValues")
                return_values_on_condition_check_failure = op.get(
                    "ReturnValuesOnConditionCheckFailure"
                )

                if op_type == "Put":
                    attrs = op["Item"]
                    table = self.get_table(table_name)
                    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        key[table.range_key_attr] = attrs[table.range_key_attr]
                else:
                    key = op["Key"]

                check_unicity(table_name, key)
                if op_type != "ConditionCheck":
                    journal.remember(op_type, table_name, key)

                current = self.get_item(table_name, key)
                if condition_expression is not None:
                    condition_op = get_filter_expression(
                        condition_expression,
                        expression_attribute_names,
                        expression_attribute_values,
                    )
                    if not condition_op.expr(current):
                        if return_values_on_condition_check_failure == "ALL_OLD" and current:
                            original_item = current.to_json()["Attributes"]
                        raise ConditionalCheckFailed(item=original_item)

                if op_type == "Put":
                    self.put_item(
                        table_name,
                        op["Item"],
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                elif op_type == "Delete":
                    self.delete_item(
                        table_name,
                        key,
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                elif op_type == "Update":
                    self.update_item(
                        table_name,
                        key,
                        update_expression=op["UpdateExpression"],
                        condition_expression=condition_expression,
                        expression_attribute_names=expression_attribute_names,
                        expression_attribute_values=expression_attribute_values,
                    )
                errors.append((None, None, None))
            except (MultipleTransactionsException, MockValidationException):
                journal.rollback()
                raise
            except ConditionalCheckFailed as e:
                errors.append(("ConditionalCheckFailed", str(e.message), original_item))
            except Exception as e:  # noqa: BLE001 - moto reports any failure as a cancellation reason
                errors.append((type(e).__name__, str(e), original_item))

        if any(code is not None for code, _, _ in errors):
            journal.rollback()
            raise TransactionCanceledException(errors)  # type: ignore[arg-type]

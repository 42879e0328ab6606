"""moto's TransactWriteItems, made to cost what the transaction touches, not the whole table.

To undo a cancelled transaction, moto deep-copies each table the transaction names before it
starts, once per transaction item, and puts the copy back if it is cancelled: every item,
every attribute and every stream record, however few items the transaction writes. The local
stack's functions write in transactions all day (a send, a batch's counters, a day's usage),
so as its table grew each transaction took longer and the stack, which runs one function at
a time, fell behind (the end-to-end suite's later tests waited minutes).

While a transaction runs, the copy is made cheap instead, and it still undoes everything a
transaction item can do: a Put or a Delete replaces or removes an item in the table's maps,
which are copied (not the items in them); an Update changes its item in place, so the items
the transaction updates are deep-copied; the stream's list of records is copied, so records
the cancelled writes added go with them. The copy is made once per transaction, not once per
item. Everything else of the table (its schema, indexes, settings) does not change in a
transaction and is shared. A deep copy made outside a transaction (a backup) is moto's own.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table

_transaction = threading.local()


def _updated_keys(transact_items: list[dict[str, Any]], table: Table) -> set[tuple[Any, ...]]:
    """The (hash, range) keys of the items the transaction updates in `table`."""
    keys: set[tuple[Any, ...]] = set()
    for item in transact_items:
        update = item.get("Update")
        if update is None or update.get("TableName") != table.name:
            continue
        key = update["Key"]
        hash_value = DynamoType(key[table.hash_key_attr])
        range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        keys.add((hash_value, range_value))
    return keys


def _undo_copy(table: Table, transact_items: list[dict[str, Any]]) -> Table:
    snapshot = copy.copy(table)
    items: defaultdict[Any, Any] = defaultdict(dict)
    for hash_value, held in table.items.items():
        items[hash_value] = dict(held) if table.range_key_attr else held
    for hash_value, range_value in _updated_keys(transact_items, table):
        current = table.get_item(hash_value, range_value)
        if current is None:
            continue
        if table.range_key_attr:
            items[hash_value][range_value] = copy.deepcopy(current)
        else:
            items[hash_value] = copy.deepcopy(current)
    snapshot.items = items
    shard = table.stream_shard
    if shard is not None:
        snapshot.stream_shard = copy.copy(shard)
        snapshot.stream_shard.items = list(shard.items)
        snapshot.stream_shard.table = snapshot
    return snapshot


def _table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
    transact_items = getattr(_transaction, "items", None)
    if transact_items is None:  # not in a transaction: moto's own deep copy
        return _deep(self, memo)
    copies: dict[int, Table] = _transaction.copies
    if id(self) not in copies:
        copies[id(self)] = _undo_copy(self, transact_items)
    return copies[id(self)]


def _deep(table: Table, memo: dict[int, Any]) -> Table:
    result = cast(Table, Table.__new__(Table))
    memo[id(table)] = result
    for name, value in table.__dict__.items():
        setattr(result, name, copy.deepcopy(value, memo))
    return result


class CheapTransactionUndo:
    def __init__(self) -> None:
        self._original: Callable[..., None] | None = None

    def install(self) -> None:
        original = DynamoDBBackend.transact_write_items
        self._original = original

        def transact_write_items(
            backend: DynamoDBBackend, transact_items: list[dict[str, Any]]
        ) -> None:
            with _in_transaction(transact_items):
                original(backend, transact_items)

        DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign,assignment]
        Table.__deepcopy__ = _table_deepcopy  # type: ignore[attr-defined]

    def uninstall(self) -> None:
        if self._original is not None:
            DynamoDBBackend.transact_write_items = self._original  # type: ignore[method-assign]
            del Table.__deepcopy__  # type: ignore[attr-defined]
            self._original = None


@contextmanager
def _in_transaction(transact_items: list[dict[str, Any]]) -> Iterator[None]:
    _transaction.items, _transaction.copies = transact_items, {}
    try:
        yield
    finally:
        del _transaction.items, _transaction.copies

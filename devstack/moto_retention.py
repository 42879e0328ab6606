"""What AWS lets go of and moto, running in this process for hours, never does, let go of here.

- moto keeps every object it ever made in a list on the object's class, for its dashboard
  (`instances_tracked`): every item, every stream record, every SQS message. moto also
  deep-copies the whole table, items and stream included, for each item of every
  transaction (to undo it if cancelled). All those copies stayed alive in the lists, so
  memory grew with the square of the mail sent: 300 sends, 1.5 GB; the end-to-end suite,
  over 20 GB. The lists of the services the stack churns are emptied every sweep; the
  stack never serves moto's dashboard.
- DynamoDB keeps a stream's records 24 hours; moto keeps them all, and copies them with the
  table. The records every local consumer has read are freed, but the last `TAIL_RECORDS`
  (an operator's replay of a batch given up on reads those back). A freed record's place
  stays in moto's list, so its sequence numbers (list index + start) never move under a
  writer; reading one answers `TrimmedDataAccessException`, as DynamoDB does past 24 hours.
- DynamoDB expires a shard iterator after 15 minutes; moto keeps each one, and each holds
  the shard, and so the table, it was made from. Every reader here uses its iterator at once
  and asks for a new one on its next read, so an iterator a whole minute old is dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from moto.core.exceptions import JsonRESTError
from moto.core.model_instances import model_data
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodbstreams.models import dynamodbstreams_backends

from devstack.environment import ACCOUNT_ID, REGION

SWEEP_SECONDS = 1.0
ITERATOR_SECONDS = 60.0
TAIL_RECORDS = 5_000
# What the local stack's functions and pollers call all day.
CHURNING_SERVICES = ("dynamodb", "dynamodbstreams", "sqs", "scheduler")

_log = logging.getLogger(__name__)


class StreamReader(Protocol):
    def read_up_to(self) -> int | None:
        """The sequence number of the last record it has read (None: not read yet)."""


class _Trimmed:
    """A freed record's place in moto's list of stream records."""

    def to_json(self) -> dict[str, Any]:
        raise JsonRESTError(
            "TrimmedDataAccessException",
            "the local stack no longer holds this stream record (it keeps only the last "
            "few thousand its consumers have read)",
        )

    # moto deep-copies the table, its stream included, for every transaction.
    def __deepcopy__(self, memo: dict[int, Any]) -> _Trimmed:
        return self


TRIMMED = _Trimmed()


def forget_tracked_instances() -> None:
    for service in CHURNING_SERVICES:
        for model in model_data.get(service, {}).values():
            model.instances_tracked.clear()  # type: ignore[attr-defined]


class MotoRetention:
    def __init__(
        self,
        table_name: str,
        readers: Sequence[StreamReader],
        *,
        tail_records: int = TAIL_RECORDS,
        iterator_seconds: float = ITERATOR_SECONDS,
    ) -> None:
        self._table_name = table_name
        self._readers = readers
        self._tail_records = tail_records
        self._iterator_seconds = iterator_seconds
        self._old_iterators: set[str] = set()
        self._iterators_swept = time.monotonic()

    def sweep(self) -> int:
        """Let go of what AWS would have; return how many stream records were freed."""
        forget_tracked_instances()
        if time.monotonic() - self._iterators_swept >= self._iterator_seconds:
            self._expire_iterators()
        return self._trim_records()

    def _trim_records(self) -> int:
        positions = [reader.read_up_to() for reader in self._readers]
        if not positions or None in positions:
            return 0
        shard = dynamodb_backends[ACCOUNT_ID][REGION].tables[self._table_name].stream_shard
        if shard is None:
            return 0
        records: list[Any] = shard.items
        slowest = min(p for p in positions if p is not None)
        # Only the oldest go, so the freed records are a prefix: walk back to its end.
        end = min(slowest - shard.starting_sequence_number + 1 - self._tail_records, len(records))
        freed = 0
        for index in range(end - 1, -1, -1):
            if records[index] is TRIMMED:
                break
            records[index] = TRIMMED
            freed += 1
        return freed

    def _expire_iterators(self) -> None:
        iterators: dict[str, Any] = dynamodbstreams_backends[ACCOUNT_ID][REGION].shard_iterators
        for arn in self._old_iterators:
            iterators.pop(arn, None)
        self._old_iterators = set(iterators)
        self._iterators_swept = time.monotonic()

    def run_until(self, stop: threading.Event) -> None:
        while not stop.wait(SWEEP_SECONDS):
            try:
                self.sweep()
            except Exception:
                _log.exception("letting go of moto's old objects failed")

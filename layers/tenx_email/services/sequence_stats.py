"""Sequence stats, counted by the event projection from the table's stream (never by scanning):
an enrollment stored counts `enrolled` and `active`; its move from ACTIVE to an end moves one
from `active` to `completed`, `stopped` or `exited_<REASON>`; a step's message stored counts
`sent_<step>` (handed to delivery: its timeline tells what became of it). One write per
stream batch and sequence, once however often the batch is retried."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from tenx_email import clock, keys
from tenx_email.campaign_models import Enrollment, EnrollmentStatus, Sequence
from tenx_email.dal import sequence_stats as store
from tenx_email.dal.enrollment_items import EnrollmentItem
from tenx_email.dal.sequence_items import SequenceItem
from tenx_email.message_models import Message

Tallies = dict[tuple[str, str], Counter[str]]  # (handle, sequence) -> counter -> amount


def _sort_key(record: DynamoDBRecord) -> str:
    change = record.dynamodb
    return str((change.keys or {}).get(keys.SK, "")) if change else ""


def is_enrollment(record: DynamoDBRecord) -> bool:
    return _sort_key(record).startswith(keys.ENROLLMENT_PREFIX)


def is_sequence(record: DynamoDBRecord) -> bool:
    """A sequence's head (SEQ#...; its versions and stats have prefixes of their own)."""
    return _sort_key(record).startswith(keys.SEQUENCE_PREFIX)


def sequence_changes(records: Iterable[DynamoDBRecord]) -> list[tuple[Sequence | None, Sequence]]:
    """Sequence heads' changes, as (before, after)."""
    changes = []
    for record in records:
        change = record.dynamodb
        if change is None or not change.new_image:
            continue
        before = SequenceItem.from_item(change.old_image).to_domain() if change.old_image else None
        changes.append((before, SequenceItem.from_item(change.new_image).to_domain()))
    return changes


def tally_enrollments(records: Iterable[DynamoDBRecord], tallies: Tallies) -> None:
    for record in records:
        change = record.dynamodb
        if change is None or not change.new_image:
            continue  # removed (TTL or by hand): what it counted stays counted
        new = EnrollmentItem.from_item(change.new_image).to_domain()
        old = EnrollmentItem.from_item(change.old_image).to_domain() if change.old_image else None
        counts = tallies.setdefault((new.handle, new.sequence_id), Counter())
        if old is None or old.enrollment_id != new.enrollment_id:
            # A new enrollment (one replaces only an ended one, dal/enrollments.py).
            counts["enrolled"] += 1
            counts["active"] += 1
            _count_end(None, new, counts)
        else:
            _count_end(old, new, counts)


def _count_end(old: Enrollment | None, new: Enrollment, counts: Counter[str]) -> None:
    was_active = old is None or old.status is EnrollmentStatus.ACTIVE
    if was_active and new.status is not EnrollmentStatus.ACTIVE:
        counts["active"] -= 1
        counts[_ended_counter(new)] += 1


def _ended_counter(enrollment: Enrollment) -> str:
    if enrollment.status is EnrollmentStatus.EXITED:
        return f"exited_{enrollment.exit_reason or 'UNKNOWN'}"
    return enrollment.status.value.lower()


def tally_message(message: Message, tallies: Tallies) -> None:
    if message.sequence_id is not None and message.sequence_step is not None:
        counts = tallies.setdefault((message.handle, message.sequence_id), Counter())
        counts[f"sent_{message.sequence_step}"] += 1


def record(tallies: Mapping[tuple[str, str], Counter[str]], batch: str) -> None:
    now = clock.now()
    for (handle_name, sequence_id), counts in tallies.items():
        kept = {name: amount for name, amount in counts.items() if amount}
        if kept:
            store.add(handle_name, sequence_id, kept, batch, now)

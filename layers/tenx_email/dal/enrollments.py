"""Enrollments (PK=HANDLE#h, SK=ENROLL#<sequenceId>#<leadId>) and what the step engine reads
with them. Every change of an enrollment is conditional on the state it was read in (its id,
step and status), so two jobs for one step never both act, and a step's message is stored in
one transaction with the enrollment's move past it: a step sends at most once, and never
after the enrollment exited or stopped."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition

from tenx_email import keys
from tenx_email.campaign_models import Enrollment, EnrollmentStatus
from tenx_email.dal.enrollment_items import EnrollmentItem
from tenx_email.dal.message_items import MessageItem
from tenx_email.dal.queries import Page, item_key, items_by_key, query_page
from tenx_email.dal.table import conditional, table, transact
from tenx_email.dal.triggers import RuleMessage


class ConcurrentChange(Exception):
    """The enrollment moved on (another job, an exit, a stop) since it was read."""


_ACTIVE = EnrollmentStatus.ACTIVE.value


def enroll(enrollment: Enrollment) -> Enrollment | None:
    """Store a new enrollment unless the lead has an ACTIVE one in the sequence; returns the
    one that stands when it is not ours (None: ours was stored, or stands already from an
    earlier try of the same job)."""
    item = EnrollmentItem.from_domain(enrollment).to_item()
    stored = conditional(
        lambda: table().put_item(
            Item=item,
            ConditionExpression="attribute_not_exists(PK) OR "
            "(#status <> :active AND enrollmentId <> :id)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":active": _ACTIVE, ":id": enrollment.enrollment_id},
        )
    )
    if stored:
        return None
    standing = get(enrollment.handle, enrollment.sequence_id, enrollment.lead_id)
    if standing is None or standing.enrollment_id == enrollment.enrollment_id:
        return None
    return standing


def get(handle_name: str, sequence_id: str, lead_id: str) -> Enrollment | None:
    found = (
        table()
        .get_item(Key=keys.enrollment(handle_name, sequence_id, lead_id), ConsistentRead=True)
        .get("Item")
    )
    return EnrollmentItem.from_item(found).to_domain() if found else None


def _as_read(seen: Enrollment) -> dict[str, Any]:
    """The condition that the stored enrollment is still as `seen` was read."""
    return {
        "ConditionExpression": "enrollmentId = :id AND #step = :step AND #status = :status",
        "ExpressionAttributeNames": {"#step": "step", "#status": "status"},
        "ExpressionAttributeValues": {
            ":id": seen.enrollment_id,
            ":step": seen.step,
            ":status": seen.status.value,
        },
    }


def save(changed: Enrollment, seen: Enrollment) -> None:
    """Replace the enrollment with `changed` while it is still as `seen`."""
    item = EnrollmentItem.from_domain(changed).to_item()
    condition = _as_read(seen)
    if not conditional(lambda: table().put_item(Item=item, **condition)):
        raise ConcurrentChange(seen.enrollment_id)


def save_with_message(changed: Enrollment, seen: Enrollment, made: RuleMessage) -> None:
    """Store a step's message and move the enrollment past the step, in one transaction,
    while the enrollment is still as `seen`."""
    name = table().name
    reasons = transact(
        [
            {
                "Put": {
                    "TableName": name,
                    "Item": MessageItem.from_domain(made.message, [made.queued]).to_item(),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Put": {
                    "TableName": name,
                    "Item": EnrollmentItem.from_domain(changed).to_item(),
                    **_as_read(seen),
                }
            },
        ]
    )
    if reasons:
        raise ConcurrentChange(seen.enrollment_id)


def in_flight(
    handle_name: str, sequence_id: str, after_lead: str | None, *, held_only: bool, limit: int
) -> tuple[list[Enrollment], str | None]:
    """A page of a sequence's ACTIVE enrollments (only the held ones, with `held_only`), in
    lead order after `after_lead`, and the lead the page ended at (None: the last page). For
    the cascades only, whose position stays on our own queue (clients get sealed tokens)."""
    query: dict[str, Any] = {
        "KeyConditionExpression": KeyCondition(keys.PK).eq(keys.handle(handle_name)["PK"])
        & KeyCondition(keys.SK).begins_with(keys.enrollments_prefix(sequence_id)),
        "FilterExpression": Attr("status").eq(_ACTIVE)
        & (Attr("held").eq(True) if held_only else Attr("enrollmentId").exists()),
        "ConsistentRead": True,
        "Limit": limit,
    }
    if after_lead is not None:
        query["ExclusiveStartKey"] = keys.enrollment(handle_name, sequence_id, after_lead)
    response = table().query(**query)
    found = [EnrollmentItem.from_item(item).to_domain() for item in response["Items"]]
    last = response.get("LastEvaluatedKey")
    return found, str(last[keys.SK]).removeprefix(
        keys.enrollments_prefix(sequence_id)
    ) if last else None


def enrollments_of(
    wanted: Iterable[tuple[str, str, str]],
) -> dict[tuple[str, str, str], Enrollment]:
    """The enrollments of (handle, sequence, lead), as they stand (one BatchGetItem per 100)."""
    asked = {ids: keys.enrollment(*ids) for ids in wanted}
    items = items_by_key(asked.values())
    found: dict[tuple[str, str, str], Enrollment] = {}
    for ids, key in asked.items():
        item = items.get(item_key(key))
        if item is not None:
            found[ids] = EnrollmentItem.from_item(item).to_domain()
    return found


def list_page(
    handle_name: str, sequence_id: str, status: str | None, limit: int, next_token: str | None
) -> Page[Enrollment]:
    """A page of a sequence's enrollments in lead order, of one status if given (PK=HANDLE#h,
    SK begins_with ENROLL#<sequenceId>#)."""
    items, token = query_page(
        index=None,
        partition=(keys.PK, keys.handle(handle_name)["PK"]),
        sort=(keys.SK, keys.enrollments_prefix(sequence_id)),
        since=None,
        newest_first=False,
        limit=limit,
        next_token=next_token,
        exact={},
        filters=Attr("status").eq(status) if status else None,
        # A page token holds to the filter it was made under.
        scope={"status": status or ""},
    )
    return Page([EnrollmentItem.from_item(item).to_domain() for item in items], token)

"""Campaign sequences: the steps (emails and waits) a lead goes through once a campaign event
enrolls it. This module keeps their definitions; each create or update is a new version,
stored whole, so an enrollment can finish on the version it started with.

Checks, in this order: the body's shape (400 invalid_request, unknown fields included), then
sequence_checks.py's checks that need no read; after one read, the campaign (404
campaign_not_found), on update the sequence (404 sequence_not_found), that it is not archived
(409 sequence_archived) and expectedVersion (409 version_conflict), each email step's
template and sender (the rule codes), and on create room for it (409
sequence_limit_reached).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tenx_email import clock, ids, keys
from tenx_email.campaign_models import Sequence, SequenceExit, SequenceStatus, SequenceStep
from tenx_email.dal import campaign_counts
from tenx_email.dal import sequences as store
from tenx_email.errors import SequenceArchived, SequenceLimitReached, SequenceNotFound
from tenx_email.ids import SENDER_ID, TEMPLATE_ID
from tenx_email.models import HandleAccess
from tenx_email.services import versioned
from tenx_email.services.campaigns import (
    campaign_not_found,
    delete_counted,
    require_campaign,
    require_campaign_id,
)
from tenx_email.services.sequence_checks import (
    MAX_STEPS,
    check_step_references,
    check_steps,
    check_trigger,
    email_steps,
)

MAX_SEQUENCES_PER_CAMPAIGN = 20
SEQUENCE_ID = re.compile(r"^seq_[0-9a-f-]{36}$")


@dataclass(frozen=True)
class SequenceDraft:
    """A sequence as the client sends it (the same on create and update)."""

    name: str
    trigger: str
    steps: tuple[SequenceStep, ...]
    exit_on: tuple[SequenceExit, ...]
    enabled: bool
    status: SequenceStatus
    test_mode: bool = False


def _named(steps: tuple[SequenceStep, ...]) -> tuple[list[str], list[str]]:
    """The distinct well-formed template and sender ids the email steps name, in step order
    (an id of the wrong form names nothing, so it is never read)."""
    template_ids: dict[str, None] = {}
    sender_ids: dict[str, None] = {}
    for _, step in email_steps(steps):
        if step.template_id and TEMPLATE_ID.fullmatch(step.template_id):
            template_ids[step.template_id] = None
        if step.sender_id and SENDER_ID.fullmatch(step.sender_id):
            sender_ids[step.sender_id] = None
    return list(template_ids), list(sender_ids)


def _well_formed(sequence_id: str | None) -> str | None:
    return sequence_id if sequence_id is not None and SEQUENCE_ID.fullmatch(sequence_id) else None


def prefetch(
    handle_name: str,
    campaign_id: str,
    sequence_id: str | None = None,
    body: Mapping[str, Any] | None = None,
) -> list[keys.Key]:
    """What the sequence routes read first (the campaign; the sequence; a write's templates
    and senders as its body names them), for the access check to read along. Nothing under a
    campaign id that cannot name one, and no step's ids from a body with too many steps."""
    if not ids.is_valid(ids.CAMPAIGN_ID_PATTERN, campaign_id):
        return []
    wanted = [keys.campaign(handle_name, campaign_id)]
    if (well_formed := _well_formed(sequence_id)) is not None:
        wanted.append(keys.sequence(handle_name, campaign_id, well_formed))
    steps = (body or {}).get("steps")
    if not isinstance(steps, list) or len(steps) > MAX_STEPS:
        return wanted
    emails = [step for step in steps if isinstance(step, dict) and step.get("type") == "email"]
    # Any JSON may stand where an id belongs (even an object, which a set cannot hold).
    template_ids = {t for step in emails if isinstance(t := step.get("templateId"), str)}
    sender_ids = {s for step in emails if isinstance(s := step.get("senderId"), str)}
    wanted += [
        keys.template(handle_name, t) for t in sorted(template_ids) if TEMPLATE_ID.fullmatch(t)
    ]
    wanted += [keys.sender(handle_name, s) for s in sorted(sender_ids) if SENDER_ID.fullmatch(s)]
    return wanted


def _not_found(sequence_id: str, campaign_id: str) -> SequenceNotFound:
    return SequenceNotFound(
        f"sequence {sequence_id[:80]!r} does not exist in campaign {campaign_id}"
    )


def _read(
    access: HandleAccess, campaign_id: str, draft: SequenceDraft, sequence_id: str | None
) -> store.SequenceContext:
    """The one read of a write; an unknown campaign is refused here, before anything else."""
    require_campaign_id(campaign_id)
    template_ids, sender_ids = _named(draft.steps)
    context = store.read_context(
        access.handle.handle, campaign_id, _well_formed(sequence_id), template_ids, sender_ids
    )
    if context.campaign is None:
        raise campaign_not_found(campaign_id)
    return context


def _check_draft(draft: SequenceDraft) -> dict[str, Any]:
    """The checks that need no read; what a client sets, the same on create and update."""
    trigger = check_trigger(draft.trigger)
    check_steps(draft.steps)
    return {
        "name": draft.name,
        "trigger": trigger,
        "steps": draft.steps,
        "exit_on": draft.exit_on,
        "enabled": draft.enabled,
        "status": draft.status,
        "test_mode": draft.test_mode,
    }


def create_sequence(access: HandleAccess, campaign_id: str, draft: SequenceDraft) -> Sequence:
    fields = _check_draft(draft)
    context = _read(access, campaign_id, draft, None)
    check_step_references(draft.steps, context.templates, context.senders)
    now = clock.now()
    sequence = Sequence(
        handle=access.handle.handle,
        campaign_id=campaign_id,
        sequence_id=f"seq_{uuid.uuid4()}",
        version=1,
        created_at=now,
        updated_at=now,
        **fields,
    )
    try:
        store.create(sequence, MAX_SEQUENCES_PER_CAMPAIGN)
    except campaign_counts.LimitReached as error:
        raise SequenceLimitReached(
            f"campaign {campaign_id} already has {MAX_SEQUENCES_PER_CAMPAIGN} sequences; "
            "delete one first"
        ) from error
    return sequence


def update_sequence(
    access: HandleAccess,
    campaign_id: str,
    sequence_id: str,
    draft: SequenceDraft,
    expected_version: int | None,
) -> Sequence:
    """Replace a sequence's definition as a new version (its enrollments keep the one they
    started on). With expected_version it must still be at that version; without it the
    last write wins. An archived sequence is final."""
    fields = _check_draft(draft)

    def read() -> tuple[store.SequenceContext, Sequence]:
        context = _read(access, campaign_id, draft, sequence_id)
        current = context.sequence
        if current is None or current.deleted:
            raise _not_found(sequence_id, campaign_id)
        if current.status is SequenceStatus.ARCHIVED:
            raise SequenceArchived(
                f"sequence {sequence_id} is archived; archived sequences cannot change, "
                "create a new one"
            )
        return context, current

    def write(seen: tuple[store.SequenceContext, Sequence]) -> Sequence:
        context, current = seen
        check_step_references(draft.steps, context.templates, context.senders)
        changed = current.model_copy(
            update={**fields, "version": current.version + 1, "updated_at": clock.now()}
        )
        store.replace(changed, seen_version=current.version)
        return changed

    return versioned.replace_at_version(
        read=read,
        version_of=lambda seen: seen[1].version,
        expected_version=expected_version,
        stale=lambda version: (
            f"sequence {sequence_id} is at version {version}, not {expected_version}; "
            "re-read it and retry"
        ),
        write=write,
        lost_race=store.ConcurrentChange,
        kept_changing=f"sequence {sequence_id} kept changing; re-read it and retry",
    )


def get_sequence(access: HandleAccess, campaign_id: str, sequence_id: str) -> Sequence:
    """A live sequence of this campaign (a deleted one is not found)."""
    handle = access.handle.handle
    require_campaign(handle, campaign_id)
    well_formed = _well_formed(sequence_id)
    found = store.get(handle, campaign_id, well_formed) if well_formed else None
    if found is None or found.deleted:
        raise _not_found(sequence_id, campaign_id)
    return found


def delete_sequence(access: HandleAccess, campaign_id: str, sequence_id: str) -> None:
    """Soft-delete a sequence: no longer listed or readable. Repeating it is fine."""
    delete_counted(
        access.handle.handle,
        campaign_id,
        _well_formed(sequence_id),
        store.mark_deleted,
        _not_found(sequence_id, campaign_id),
    )


def list_sequences(access: HandleAccess, campaign_id: str) -> list[Sequence]:
    """A campaign's live sequences, oldest first."""
    require_campaign(access.handle.handle, campaign_id)
    found = store.list_sequences(access.handle.handle, campaign_id)
    return sorted(found, key=lambda sequence: (sequence.created_at, sequence.sequence_id))

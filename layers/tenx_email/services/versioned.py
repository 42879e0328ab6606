"""Replacing a versioned item optimistically: read it, check it is at the version the client
last read, write the change only while it is still at the version read. A write that lost a
race with another one is retried on a fresh read, so without an expected version the last
write wins; with one, the loser is told to re-read (409 version_conflict)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tenx_email.errors import VersionConflict

Read = TypeVar("Read")
Saved = TypeVar("Saved")

# A few tries: each lost race means another write landed, so the next read is newer.
SAVE_ATTEMPTS = 3


def replace_at_version(
    *,
    read: Callable[[], Read],
    version_of: Callable[[Read], int],
    expected_version: int | None,
    stale: Callable[[int], str],
    write: Callable[[Read], Saved],
    lost_race: type[Exception],
    kept_changing: str,
) -> Saved:
    """`read` the current state (its refusals raise), refuse it with `stale(version)` if
    `expected_version` is given and differs, then `write` the change on top of it. `write`
    raises `lost_race` when the item moved on since `read`; then it starts over."""
    for _ in range(SAVE_ATTEMPTS):
        current = read()
        version = version_of(current)
        if expected_version is not None and expected_version != version:
            raise VersionConflict(stale(version))
        try:
            return write(current)
        except lost_race:
            continue
    raise VersionConflict(kept_changing)

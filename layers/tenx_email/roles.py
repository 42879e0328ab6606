"""Handle roles, ordered: CREATOR < OPERATOR < OWNER."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CREATOR = "CREATOR"
    OPERATOR = "OPERATOR"
    OWNER = "OWNER"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def reaches(self, minimum: Role) -> bool:
        return self.rank >= minimum.rank


_RANKS = {Role.CREATOR: 1, Role.OPERATOR: 2, Role.OWNER: 3}

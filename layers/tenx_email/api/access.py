"""API shape of the caller's own access to a handle."""

from __future__ import annotations

from typing import Self

from tenx_email.api.base import ApiModel
from tenx_email.models import HandleAccess
from tenx_email.roles import Role


class AccessOut(ApiModel):
    handle: str
    role: Role

    @classmethod
    def from_access(cls, checked: HandleAccess) -> Self:
        return cls(handle=checked.handle.handle, role=checked.role)


class AccessEnvelope(ApiModel):
    access: AccessOut

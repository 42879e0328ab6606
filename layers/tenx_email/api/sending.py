"""API shape of a direct send (its answer is a message, see api/messages.py)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from tenx_email.api.base import ApiInput, Variables, variable_values
from tenx_email.models import Purpose
from tenx_email.services.sending import SendRequest

IdempotencyKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:@+=/-]{1,128}$")]
Address = Annotated[str, StringConstraints(min_length=3, max_length=320)]


class SendIn(ApiInput):
    sender_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    to: Annotated[list[Address], Field(min_length=1, max_length=500)]
    purpose: Purpose
    idempotency_key: IdempotencyKey | None = None
    # Not required by the schema, so leaving it out answers the contract's own code.
    consent_attestation: StrictBool = False
    template_id: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    variables: Variables = {}  # noqa: RUF012 (pydantic copies the default per instance)

    def request(self) -> SendRequest:
        return SendRequest(
            sender_id=self.sender_id,
            to=tuple(self.to),
            purpose=self.purpose,
            consent_attestation=self.consent_attestation,
            template_id=self.template_id,
            variables=variable_values(self.variables),
            idempotency_key=self.idempotency_key,
        )

"""API shape of a direct send (its answer is a message, see api/messages.py)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StrictBool, StringConstraints

from tenx_email.api.base import ApiInput, Variables, checked_by_service, variable_values
from tenx_email.ids import EMAIL_ADDRESS_FORM, IDEMPOTENCY_KEY, SENDER_ID, TEMPLATE_ID
from tenx_email.models import Purpose
from tenx_email.services.sending import MAX_RECIPIENTS, SendRequest

IdempotencyKey = Annotated[str, StringConstraints(pattern=IDEMPOTENCY_KEY.pattern)]
# The service checks the recipients (invalid_recipient). 500 entries bound what the model
# reads at all; the service refuses more than MAX_RECIPIENTS, which is what the document says.
Address = Annotated[
    str,
    StringConstraints(min_length=3, max_length=320),
    checked_by_service(**EMAIL_ADDRESS_FORM),
]
Recipients = Annotated[
    list[Address], Field(min_length=1, max_length=500), checked_by_service(maxItems=MAX_RECIPIENTS)
]
# An id of the wrong form names nothing: the service answers 404 for it, as for an unknown one.
SenderRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    checked_by_service(pattern=SENDER_ID.pattern),
]
TemplateRef = Annotated[
    str,
    StringConstraints(min_length=1, max_length=80),
    checked_by_service(pattern=TEMPLATE_ID.pattern),
]


def _consent_required(schema: dict[str, Any]) -> None:
    schema.setdefault("required", []).append("consentAttestation")
    del schema["properties"]["consentAttestation"]["default"]


class SendIn(ApiInput):
    # consentAttestation is required and true, and the document says so; the model takes it
    # as optional so that leaving it out answers the contract's consent_attestation_required.
    model_config = ConfigDict(json_schema_extra=_consent_required)

    sender_id: SenderRef
    to: Recipients
    purpose: Purpose
    idempotency_key: IdempotencyKey | None = None
    consent_attestation: Annotated[StrictBool, checked_by_service(const=True)] = False
    template_id: TemplateRef
    variables: Variables = {}  # noqa: RUF012 (pydantic copies the default per instance)
    # List-Unsubscribe (RFC 8058 one-click) on each recipient's email; absent: only for
    # PRODUCT_NOTIFICATION, as campaign mail always has it.
    list_unsubscribe: StrictBool | None = None
    # A test send: every check, delivered to the SES mailbox simulator, outside the quota.
    test_mode: StrictBool = False

    def request(self) -> SendRequest:
        return SendRequest(
            sender_id=self.sender_id,
            to=tuple(self.to),
            purpose=self.purpose,
            consent_attestation=self.consent_attestation,
            template_id=self.template_id,
            variables=variable_values(self.variables),
            idempotency_key=self.idempotency_key,
            list_unsubscribe=self.list_unsubscribe,
            test_mode=self.test_mode,
        )

"""API shapes of a domain's SES identity."""

from __future__ import annotations

from typing import Self

from tenx_email.api.base import ApiModel
from tenx_email.identity_models import DomainIdentity, IdentityStatus


class DnsRecordOut(ApiModel):
    type: str
    name: str
    value: str


class IdentityOut(ApiModel):
    identity_key: str
    region: str
    domain: str
    status: IdentityStatus
    status_reason: str | None
    required_dns_records: list[DnsRecordOut]
    mail_from_domain: str

    @classmethod
    def from_identity(cls, identity: DomainIdentity, *, all_records: bool = False) -> Self:
        """Once READY nothing more is asked of DNS (the contract's ready shape shows an empty
        list); `all_records` shows them anyway, as attaching does, to paste into DNS."""
        pending = all_records or identity.status is not IdentityStatus.READY
        return cls(
            identity_key=identity.identity_key,
            region=identity.region,
            domain=identity.domain,
            status=identity.status,
            status_reason=identity.status_reason,
            required_dns_records=[
                DnsRecordOut(type=record.type, name=record.name, value=record.value)
                for record in (identity.required_dns_records if pending else ())
            ],
            mail_from_domain=identity.mail_from_domain,
        )


class IdentityEnvelope(ApiModel):
    identity: IdentityOut

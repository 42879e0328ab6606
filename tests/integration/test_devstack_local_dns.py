"""The local stack's SES identities on moto: a newly attached domain stays PENDING, with the
records to publish, until the local DNS has them; then reconcile makes it READY."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devstack.local_ses import LocalSes
from devstack.ses_identities import dkim_tokens
from tenx_email.adapters import ses
from tenx_email.identity_models import IdentityStatus
from tenx_email.models import Purpose
from tenx_email.services import domains, senders
from tests.integration.delivery_support import operator_access

DOMAIN = "mail.acme.example"


@pytest.fixture
def local_ses(tenant: None) -> Iterator[LocalSes]:
    stand_in = LocalSes(events=None)
    stand_in.install()
    # The adapter keeps its clients; new ones carry the hooks, as in the local stack.
    ses._v1.cache_clear()
    ses._v2.cache_clear()
    yield stand_in
    stand_in.uninstall()
    ses._v1.cache_clear()
    ses._v2.cache_clear()


def test_a_new_domain_is_pending_with_its_records_until_they_are_published(
    local_ses: LocalSes,
) -> None:
    # When a domain is attached, and reconciled before its records are in DNS
    attached = domains.attach_domain("acc_demo", DOMAIN, "us-east-1")
    reconciled = domains.reconcile_domain("acc_demo", DOMAIN)

    # Then it is PENDING, and lists Easy DKIM's three CNAMEs beside the MAIL FROM records
    assert (attached.status, reconciled.status) == (IdentityStatus.PENDING, IdentityStatus.PENDING)
    records = {(r.type, r.name, r.value) for r in reconciled.required_dns_records}
    assert {
        ("CNAME", f"{token}._domainkey.{DOMAIN}", f"{token}.dkim.amazonses.com")
        for token in dkim_tokens(DOMAIN)
    } <= records
    assert ("MX", f"bounce.{DOMAIN}", "10 feedback-smtp.us-east-1.amazonses.com") in records
    assert len(set(dkim_tokens(DOMAIN))) == 3


def test_publishing_the_records_lets_reconcile_make_it_and_its_senders_ready(
    local_ses: LocalSes,
) -> None:
    # Given a pending domain with a (disabled) sender on it
    domains.attach_domain("acc_demo", DOMAIN, "us-east-1")
    draft = senders.SenderDraft(
        domain=DOMAIN,
        local_part="hello",
        display_name="Acme",
        reply_to=None,
        purposes=(Purpose.TRANSACTIONAL_API,),
        enabled=False,
    )
    sender = senders.put_sender(operator_access(), "sender_mail", draft)
    assert sender.identity_status is IdentityStatus.PENDING

    # When its records are published and it is reconciled
    local_ses.dns.publish(DOMAIN.upper())
    ready = domains.reconcile_domain("acc_demo", DOMAIN)

    # Then SES reports it verified, it is READY, and so is its sender's identity
    state = ses.domain_identity_state("us-east-1", DOMAIN)
    assert state is not None
    assert (state.verification_status, state.dkim_status, state.mail_from_status) == (
        "SUCCESS",
        "SUCCESS",
        "SUCCESS",
    )
    assert ready.status is IdentityStatus.READY
    (after,) = [s for s in senders.list_senders(operator_access()) if s.sender_id == "sender_mail"]
    assert after.identity_status is IdentityStatus.READY


def test_another_domain_stays_pending_when_one_is_published(local_ses: LocalSes) -> None:
    domains.attach_domain("acc_demo", DOMAIN, "us-east-1")
    domains.attach_domain("acc_demo", "news.acme.example", "us-east-1")

    local_ses.dns.publish("news.acme.example")

    assert domains.reconcile_domain("acc_demo", DOMAIN).status is IdentityStatus.PENDING
    assert domains.reconcile_domain("acc_demo", "news.acme.example").status is IdentityStatus.READY

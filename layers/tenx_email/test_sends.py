"""Test sends: a message in test mode is checked, stored and delivered like any other, but SES
sends it to the mailbox simulator instead of its recipient, so nobody is mailed and the
simulator's outcome comes back as SES's events. A recipient that is itself a simulator address
keeps its own outcome (bounce@, complaint@, ooto@...); anyone else gets success@."""

from __future__ import annotations

from tenx_email.message_models import Message

SIMULATOR_DOMAIN = "simulator.amazonses.com"
SUCCESS = f"success@{SIMULATOR_DOMAIN}"


def is_simulator(email: str) -> bool:
    return email.rpartition("@")[2].lower() == SIMULATOR_DOMAIN


def destination(email: str) -> str:
    """Where SES sends a test send's copy for `email`."""
    return email if is_simulator(email) else SUCCESS


def sent_to(message: Message, index: int) -> str:
    """Where SES sends recipient `index`'s email: the recipient, or for a test send the
    mailbox simulator."""
    email = message.recipients[index].email
    return destination(email) if message.test_mode else email

"""The sandbox's rules, shared by the send route (services/sandbox.py) and delivery's
re-check (dal/delivery_reads.py): who a sandboxed handle may mail, and its daily limit."""

from __future__ import annotations

from collections.abc import Iterable

from tenx_email import test_sends
from tenx_email.models import Handle

# Enough to try every flow with a team's own addresses; a real tenant asks to be lifted out.
SANDBOX_DAILY_LIMIT = 200
REASON = "handle_in_sandbox"


def daily_limit(handle: Handle, configured: int) -> int:
    """The day's limit that applies: the configured one, capped while in the sandbox."""
    return min(configured, SANDBOX_DAILY_LIMIT) if handle.sandbox else configured


def domain_of(email: str) -> str:
    return email.rpartition("@")[2].lower()


def needs_check(handle: Handle, test_mode: bool) -> bool:
    return handle.sandbox and not test_mode


def outsiders(emails: Iterable[str], ready_domains: Iterable[str]) -> list[str]:
    """The addresses a sandboxed handle may not mail (not the simulator, not its domains)."""
    ready = set(ready_domains)
    return [
        email
        for email in emails
        if not test_sends.is_simulator(email) and domain_of(email) not in ready
    ]

"""The sandbox a new handle starts in, as SES's own does for a new account: until an operator
lifts it (`tenx-admin set-sandbox --handle h --off`), a handle may mail only

- addresses at its own account's domains that are READY (its team's own mailboxes),
- the SES mailbox simulator, and
- anyone in test mode (which goes to the simulator anyway: test_sends.py),

and at most SANDBOX_DAILY_LIMIT recipients a day. A direct send to anyone else answers
`403 handle_in_sandbox` before anything is queued; delivery checks again just before sending
(a rule's message to an outside lead is DENIED `handle_in_sandbox`), so a handle put back in
the sandbox stops mailing outsiders at once."""

from __future__ import annotations

from collections.abc import Iterable

from tenx_email import test_sends
from tenx_email.dal import sandbox as store
from tenx_email.errors import HandleInSandbox
from tenx_email.models import Handle
from tenx_email.sandbox import domain_of, needs_check, outsiders


def check_recipients(handle: Handle, emails: Iterable[str], test_mode: bool) -> None:
    """A direct send's check: refuse outside recipients of a sandboxed handle (one read of
    its account's domains, and only when some recipient is outside the simulator)."""
    if not needs_check(handle, test_mode):
        return
    candidates = [email for email in emails if not test_sends.is_simulator(email)]
    if not candidates:
        return
    domains = {domain_of(email) for email in candidates}
    ready = store.ready_domains(handle.account_id, domains)
    refused = outsiders(candidates, ready)
    if refused:
        raise HandleInSandbox(
            f"this handle is in the sandbox: it may send only to its account's verified "
            f"domains, the SES mailbox simulator, or in test mode ({len(refused)} recipient(s) "
            "outside them); ask an operator to lift the sandbox"
        )

"""Local only: what SES's mailbox simulator does with mail to each of its addresses.

SES treats mail to these addresses as a test of one outcome and reports it with the events it
would publish for a real mailbox (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-
from-console.html). A label after `+` keeps the outcome (`bounce+signup@...` bounces), so each
test can use an address of its own. Any other address is delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

SIMULATOR_DOMAIN = "simulator.amazonses.com"


@dataclass(frozen=True)
class Bounce:
    bounce_type: str
    bounce_sub_type: str
    status: str
    diagnostic_code: str
    reporting_mta: str


@dataclass(frozen=True)
class Outcome:
    """What SES reports, in order: delivered (or not), then a bounce or a complaint."""

    delivered: bool = True
    bounce: Bounce | None = None
    complained: bool = False
    # What a developer should be told that no event carries (the out-of-office reply).
    note: str | None = None


DELIVERED = Outcome()
_HARD_BOUNCE = Bounce(
    bounce_type="Permanent",
    bounce_sub_type="General",
    status="5.1.1",
    diagnostic_code="smtp; 550 5.1.1 user unknown",
    reporting_mta="dsn; a48-30.smtp-out.amazonses.com",
)
_ON_SUPPRESSION_LIST = Bounce(
    bounce_type="Permanent",
    bounce_sub_type="OnAccountSuppressionList",
    status="5.1.1",
    diagnostic_code=(
        "Amazon SES did not send the message to this address because it is on the "
        "suppression list for your account."
    ),
    reporting_mta="dns; amazonses.com",
)

OUTCOMES = {
    "success": DELIVERED,
    "bounce": Outcome(delivered=False, bounce=_HARD_BOUNCE),
    "complaint": Outcome(complained=True),
    "ooto": Outcome(
        note="Out of office: the simulator sends an automatic reply back to the sender."
    ),
    "suppressionlist": Outcome(delivered=False, bounce=_ON_SUPPRESSION_LIST),
}


def outcome(address: str) -> Outcome:
    """The simulator's outcome for mail to `address`; DELIVERED for any other mailbox."""
    local, _, domain = address.strip().lower().rpartition("@")
    if domain != SIMULATOR_DOMAIN:
        return DELIVERED
    return OUTCOMES.get(local.partition("+")[0], DELIVERED)

"""Which outcome SES's mailbox simulator gives each address, labels and case included."""

from __future__ import annotations

import pytest

from devstack import mailbox_simulator


@pytest.mark.parametrize(
    ("address", "delivered", "bounce", "complained", "noted"),
    [
        ("success@simulator.amazonses.com", True, None, False, False),
        ("bounce@simulator.amazonses.com", False, ("Permanent", "General"), False, False),
        ("bounce+x-1@simulator.amazonses.com", False, ("Permanent", "General"), False, False),
        ("COMPLAINT@simulator.amazonses.com", True, None, True, False),
        ("ooto@simulator.amazonses.com", True, None, False, True),
        (
            "suppressionlist@simulator.amazonses.com",
            False,
            ("Permanent", "OnAccountSuppressionList"),
            False,
            False,
        ),
        ("bounce@example.com", True, None, False, False),
        ("other@simulator.amazonses.com", True, None, False, False),
    ],
)
def test_the_mailbox_simulator_outcome_of_each_address(
    address: str,
    delivered: bool,
    bounce: tuple[str, str] | None,
    complained: bool,
    noted: bool,
) -> None:
    outcome = mailbox_simulator.outcome(address)

    assert outcome.delivered is delivered
    assert (outcome.bounce and (outcome.bounce.bounce_type, outcome.bounce.bounce_sub_type)) == (
        bounce
    )
    assert outcome.complained is complained
    assert (outcome.note is not None) is noted

"""One-click unsubscribe (RFC 8058): what a recipient's link shows, and what it does.

The link's token (unsubscribe_tokens.py) names the handle, message, recipient and purpose;
it is checked before anything is read, and nothing else about the request matters (these
routes have no JWT). A GET only describes: mail scanners fetch links, so a GET never
unsubscribes. A POST (a mailbox provider's one-click request, or the page's button):

1. suppresses the address for the handle's mail of the message's purpose (source
   `unsubscribe`): campaign mail for a rule's message. A suppression that stops that purpose
   already (any bounce, complaint or earlier unsubscribe) is left as it is; one that stops
   other purposes only is widened to this one;
2. adds UNSUBSCRIBED to the message's timeline, once per recipient (the message's own status
   stays what SES reported).

Each step is a conditional write, so a repeated POST, or two at once, change nothing more: one
suppression, one event. A link whose message is no longer stored still suppresses.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import clock, ids, unsubscribe_tokens
from tenx_email.dal import delivery as message_writes
from tenx_email.dal import suppressions as suppression_store
from tenx_email.dal.unsubscribes import LinkState, read_link_state
from tenx_email.errors import UnsubscribeLinkMalformed, UnsubscribeLinkNotFound
from tenx_email.message_models import DeliveryEvent, EventType
from tenx_email.observability import logger
from tenx_email.sending_models import Suppression, SuppressionSource
from tenx_email.unsubscribe_tokens import UnsubscribeToken

# Conditional writes that found the suppression changed under them read it again; more
# rounds than this means something keeps changing it, and the request fails (5xx, retried).
_ATTEMPTS = 3


@dataclass(frozen=True)
class LinkView:
    """What the page shows."""

    email: str
    sender_name: str | None  # None: the message is no longer stored
    unsubscribed: bool  # the address no longer gets mail of this purpose


def open_link(token: str) -> UnsubscribeToken:
    if not unsubscribe_tokens.well_formed(token):
        raise UnsubscribeLinkMalformed("this is not an unsubscribe link")
    link = unsubscribe_tokens.read(token)
    if link is None or link.expired(clock.now()):
        # Forged, altered, sealed with a key since retired, or past its lifetime: all alike.
        raise UnsubscribeLinkNotFound(
            "this unsubscribe link is not valid (or has expired); use the link in a newer "
            "email from the same sender"
        )
    return link


def _view(link: UnsubscribeToken, state: LinkState) -> LinkView:
    suppression = state.suppression
    return LinkView(
        email=link.email,
        sender_name=state.message.from_name if state.message else None,
        unsubscribed=suppression is not None and suppression.applies_to(link.purpose),
    )


def describe(token: str) -> LinkView:
    link = open_link(token)
    return _view(link, read_link_state(link.handle, link.message_id, link.email))


def unsubscribe(token: str) -> LinkView:
    link = open_link(token)
    state = read_link_state(link.handle, link.message_id, link.email)
    suppression = _suppress(link, state.suppression)
    _record_event(link, state)
    logger.info(
        "unsubscribed", extra={"handle": link.handle, "message_id": link.message_id}
    )  # never the address
    return _view(link, LinkState(message=state.message, suppression=suppression))


def _suppress(link: UnsubscribeToken, current: Suppression | None) -> Suppression:
    for _ in range(_ATTEMPTS):
        if current is not None and current.applies_to(link.purpose):
            return current
        if current is None:
            created = Suppression(
                handle=link.handle,
                email=link.email.lower(),
                reason=f"unsubscribed through the link in {link.message_id}",
                source=SuppressionSource.UNSUBSCRIBE,
                created_at=clock.now(),
                purposes=(link.purpose,),
            )
            if suppression_store.create(created):
                return created
        elif (widened := suppression_store.add_purpose(current, link.purpose)) is not None:
            return widened
        current = suppression_store.get(link.handle, link.email.lower(), consistent=True)
    raise RuntimeError("the suppression kept changing while it was written")


def _record_event(link: UnsubscribeToken, state: LinkState) -> None:
    message = state.message
    index = link.recipient_index
    if message is None or index >= len(message.recipients):
        return
    recipient = message.recipients[index]
    if recipient.email.lower() != link.email.lower() or recipient.unsubscribed_at is not None:
        return
    now = clock.now()
    event = DeliveryEvent(
        handle=message.handle,
        message_id=message.message_id,
        event_id=ids.ulid(now),
        type=EventType.UNSUBSCRIBED,
        purpose=message.purpose,
        recipient=recipient.email,
        detail="one-click unsubscribe",
        occurred_at=now,
    )
    message_writes.mark_unsubscribed(message, index, event)  # False: a concurrent POST won

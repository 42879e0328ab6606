"""What an unsubscribe link reads: the message it came in (who sent it, whether its
recipient unsubscribed already) and the address's suppression, in one consistent
BatchGetItem (PK=HANDLE#h, SK=MSG#id and SK=SUPP#email). Its writes are the suppression's
(dal/suppressions.py) and the message's UNSUBSCRIBED event (dal/delivery.py)."""

from __future__ import annotations

from dataclasses import dataclass

from tenx_email import keys
from tenx_email.dal.message_items import MessageItem, SuppressionItem
from tenx_email.dal.queries import item_key, items_by_key
from tenx_email.message_models import Message
from tenx_email.sending_models import Suppression


@dataclass(frozen=True)
class LinkState:
    message: Message | None  # None: not stored (any more)
    suppression: Suppression | None


def read_link_state(handle_name: str, message_id: str, email: str) -> LinkState:
    message_key = keys.message(handle_name, message_id)
    suppression_key = keys.suppression(handle_name, email.lower())
    found = items_by_key([message_key, suppression_key])
    message = found.get(item_key(message_key))
    suppression = found.get(item_key(suppression_key))
    return LinkState(
        message=MessageItem.from_item(message).to_domain() if message else None,
        suppression=SuppressionItem.from_item(suppression).to_domain() if suppression else None,
    )

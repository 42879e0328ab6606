"""Every key of the single table is built here and nowhere else.

Entity prefixes (see docs/data-model.md):
  ACCOUNT#<accountId>  account, its domains
  DOMAIN#<domain>      which account owns a domain; its senders through GSI1
  HANDLE#<handle>      handle, its members, campaigns, sender profiles, templates and
                       template versions, messages (MSG#), the messages of each
                       recipient (RCPT#), the event feed (EVFEED#),
                       suppressions (SUPP#), idempotency keys (IDEMP#), quota and usage,
                       campaign settings (CAMPAIGN#<id>#SETTINGS),
                       campaign email rules (RULE#), leads (LEAD#), rule runs (RULERUN#),
                       sequences (SEQ#), their versions (SEQVER#), enrollments
                       (ENROLL#), what a campaign
                       lately sent each lead (PACING#),
                       the campaign events of idempotency keys (EVTKEY#),
                       the hourly email stats (STATS#H#)
  USER#<sub>           a user's memberships (GSI1)
"""

from __future__ import annotations

from tenx_email import ids
from tenx_email.resources import TABLE

PK = TABLE.partition_key
SK = TABLE.sort_key
GSI1 = TABLE.indexes[0]


Key = dict[str, str]


def _key(pk: str, sk: str) -> Key:
    return {"PK": pk, "SK": sk}


def account(account_id: str) -> Key:
    return _key(f"ACCOUNT#{account_id}", "ACCOUNT")


def handle(handle_name: str) -> Key:
    return _key(f"HANDLE#{handle_name}", "HANDLE")


def membership(handle_name: str, sub: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"MEMBER#{sub}")


def memberships_of_user(sub: str, handle_name: str = "") -> dict[str, str]:
    """GSI1 keys that list a user's memberships across handles."""
    return {GSI1.partition_key: f"USER#{sub}", GSI1.sort_key: f"HANDLE#{handle_name}"}


def campaign(handle_name: str, campaign_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"CAMPAIGN#{campaign_id}")


def campaign_settings(handle_name: str, campaign_id: str) -> Key:
    """A campaign's frequency caps and send window (absent until first set)."""
    return _key(f"HANDLE#{handle_name}", f"CAMPAIGN#{campaign_id}#SETTINGS")


def sender(handle_name: str, sender_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"SENDER#{sender_id}")


SENDER_PREFIX = "SENDER#"


def senders_of_domain(domain: str, handle_name: str = "", sender_id: str = "") -> dict[str, str]:
    """GSI1 keys that list the sender profiles using a domain, across the account's handles."""
    sort = f"{SENDER_PREFIX}{handle_name}#{sender_id}" if handle_name else SENDER_PREFIX
    return {GSI1.partition_key: f"DOMAIN#{domain}", GSI1.sort_key: sort}


def account_domain(account_id: str, domain: str) -> Key:
    return _key(f"ACCOUNT#{account_id}", f"DOMAIN#{domain}")


def account_domains_prefix() -> str:
    """The sort keys of an account's domains (under PK=ACCOUNT#id)."""
    return "DOMAIN#"


def domain_owner(domain: str) -> Key:
    """One item per domain: which account it is attached to (a domain has one owner)."""
    return _key(f"DOMAIN#{domain}", "OWNER")


TEMPLATE_PREFIX = "TEMPLATE#"


def template(handle_name: str, template_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"{TEMPLATE_PREFIX}{template_id}")


def template_versions_prefix(template_id: str) -> str:
    # A prefix of its own, so listing templates (begins_with TEMPLATE#) never meets a version.
    return f"TMPLVER#{template_id}#"


def template_version(handle_name: str, template_id: str, version: int) -> Key:
    # Zero-padded so versions sort numerically.
    return _key(f"HANDLE#{handle_name}", f"{template_versions_prefix(template_id)}{version:06d}")


MESSAGE_PREFIX = "MSG#"
SUPPRESSION_PREFIX = "SUPP#"


# A handle's messages are spread over its message shards (docs/data-model.md): shard 0 is the
# handle's own partition, shard k > 0 the partition HANDLE#<handle>#SHARD<k>. A message id
# names its shard (`msg_<ULID>` is shard 0, `msg_<ULID>_<k>` shard k), so any message is found
# from its id alone.
def message_partition(handle_name: str, shard: int) -> str:
    return f"HANDLE#{handle_name}" if shard == 0 else f"HANDLE#{handle_name}#SHARD{shard}"


def in_handle(handle_name: str, partition: str) -> bool:
    """Whether `partition` is one of the handle's own: its partition or a message shard's
    (a handle name holds no '#', so no other handle's partition starts the same)."""
    own = f"HANDLE#{handle_name}"
    return partition == own or partition.startswith(f"{own}#SHARD")


def message(handle_name: str, message_id: str) -> Key:
    partition = message_partition(handle_name, ids.message_shard(message_id))
    return _key(partition, f"{MESSAGE_PREFIX}{message_id}")


def events_of_message_prefix(message_id: str) -> str:
    """The sort key prefix page tokens of a message's events carry (its timeline is on the
    message item; the tokens name its events as `MEVT#<messageId>#<eventId>`)."""
    return f"MEVT#{message_id}#"


HELD_PREFIX = "HELD#"


def held_message(handle_name: str, message_id: str) -> Key:
    """Marks a queued message held back while the handle's sending is paused (found again
    when an operator resumes it)."""
    return _key(f"HANDLE#{handle_name}", f"{HELD_PREFIX}{message_id}")


def recipient_messages_prefix(email: str) -> str:
    return f"RCPT#{email}#"


def recipient_message(handle_name: str, email: str, message_id: str) -> Key:
    """Names a message sent to `email` (lowercased): the list of a recipient's events reads
    these, then the messages' timelines."""
    return _key(f"HANDLE#{handle_name}", f"{recipient_messages_prefix(email)}{message_id}")


EVENT_FEED_PREFIX = "EVFEED#"


def event_feed(handle_name: str, position: str, batch: str, page: int) -> Key:
    """A page of the handle's event feed, in the order the projection wrote them: `position`
    (10 characters, a ULID's time part) only grows from one projected batch to the next,
    `batch` (the stream batch's first sequence number, no '#') and `page` order the pages of
    one batch. So a reader who has passed a page is never overtaken by a page written later."""
    return _key(f"HANDLE#{handle_name}", f"{EVENT_FEED_PREFIX}{position}#{batch}.{page:03d}")


def event_feed_position(sort_key: str) -> tuple[str, str]:
    """(position, batch) of a feed page's sort key."""
    position, _, rest = sort_key.removeprefix(EVENT_FEED_PREFIX).partition("#")
    return position, rest.rpartition(".")[0]


def suppression(handle_name: str, email: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"{SUPPRESSION_PREFIX}{email}")


def idempotency(handle_name: str, idempotency_key: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"IDEMP#{idempotency_key}")


def quota(handle_name: str) -> Key:
    return _key(f"HANDLE#{handle_name}", "QUOTA")


def usage(handle_name: str, day: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"USAGE#{day}")


def usage_charge(handle_name: str, day: str, batch: str) -> Key:
    """Marks the stream batch `batch` (no '#') as charged to the day's usage."""
    return _key(f"HANDLE#{handle_name}", f"USAGECHG#{day}#{batch}")


def reputation(handle_name: str) -> Key:
    return _key(f"HANDLE#{handle_name}", "REPUTATION")


EMAIL_STATS_PREFIX = "STATS#H#"


def email_stats(handle_name: str, hour: str) -> Key:
    """A handle's email counts of one UTC hour (`hour`: YYYYMMDDHH)."""
    return _key(f"HANDLE#{handle_name}", f"{EMAIL_STATS_PREFIX}{hour}")


def email_stats_charge(handle_name: str, hour: str, batch: str) -> Key:
    """Marks the stream batch `batch` as counted in the handle's stats of `hour`."""
    return _key(f"HANDLE#{handle_name}", f"STATSCHG#{hour}#{batch}")


def reputation_charge(handle_name: str, batch: str) -> Key:
    """Marks the stream batch `batch` as counted in the handle's reputation."""
    return _key(f"HANDLE#{handle_name}", f"REPCHG#{batch}")


WEBHOOK_PREFIX = "WEBHOOK#"


def webhook(handle_name: str, webhook_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"{WEBHOOK_PREFIX}{webhook_id}")


def webhook_deliveries(handle_name: str, webhook_id: str) -> str:
    """The partition of one endpoint's delivery log (apart from the handle's: it is written
    per event per endpoint)."""
    return f"HANDLE#{handle_name}#WH#{webhook_id}"


DELIVERY_PREFIX = "DLV#"


def webhook_delivery(handle_name: str, webhook_id: str, delivery_id: str) -> Key:
    return _key(webhook_deliveries(handle_name, webhook_id), f"{DELIVERY_PREFIX}{delivery_id}")


def webhook_count(handle_name: str) -> Key:
    """Counts the handle's live webhook endpoints (the limit holds under concurrent creates)."""
    return _key(f"HANDLE#{handle_name}", "WEBHOOKS")


def rule(handle_name: str, campaign_id: str, rule_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"{rules_of_campaign_prefix(campaign_id)}{rule_id}")


def rules_of_campaign_prefix(campaign_id: str) -> str:
    return f"RULE#{campaign_id}#"


def lead(handle_name: str, campaign_id: str, lead_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"LEAD#{campaign_id}#{lead_id}")


def contact_pacing(handle_name: str, campaign_id: str, lead_id: str) -> Key:
    """What a campaign lately sent one lead (its cooldown and daily cap count this)."""
    return _key(f"HANDLE#{handle_name}", f"PACING#{campaign_id}#{lead_id}")


def campaign_event_key(handle_name: str, campaign_id: str, idempotency_key: str) -> Key:
    """The campaign event an HTTP lead capture or conversion made under an Idempotency-Key."""
    return _key(f"HANDLE#{handle_name}", f"EVTKEY#{campaign_id}#{idempotency_key}")


def rule_run(handle_name: str, rule_id: str, event_id: str) -> Key:
    return _key(f"HANDLE#{handle_name}", f"{rule_runs_prefix(rule_id)}{event_id}")


def rule_runs_prefix(rule_id: str) -> str:
    return f"RULERUN#{rule_id}#"


SEQUENCE_PREFIX = "SEQ#"


def sequence(handle_name: str, campaign_id: str, sequence_id: str) -> Key:
    """A sequence as it is now (its latest version, status, deletion)."""
    return _key(
        f"HANDLE#{handle_name}", f"{sequences_of_campaign_prefix(campaign_id)}{sequence_id}"
    )


def sequences_of_campaign_prefix(campaign_id: str) -> str:
    return f"{SEQUENCE_PREFIX}{campaign_id}#"


def sequence_version(handle_name: str, sequence_id: str, version: int) -> Key:
    """One version of a sequence, written once and never changed (enrollments read the
    version they started on). Zero-padded so versions sort numerically."""
    return _key(f"HANDLE#{handle_name}", f"SEQVER#{sequence_id}#{version:06d}")


ENROLLMENT_PREFIX = "ENROLL#"


def enrollments_prefix(sequence_id: str) -> str:
    return f"{ENROLLMENT_PREFIX}{sequence_id}#"


def enrollment(handle_name: str, sequence_id: str, lead_id: str) -> Key:
    """A lead's enrollment in a sequence (its latest: a lead enrolled again replaces it)."""
    return _key(f"HANDLE#{handle_name}", f"{enrollments_prefix(sequence_id)}{lead_id}")


def sequence_stats(handle_name: str, sequence_id: str) -> Key:
    """A sequence's counters (enrolled, active, completed, exited by reason, sent per step),
    kept by the event projection."""
    return _key(f"HANDLE#{handle_name}", f"SEQSTATS#{sequence_id}")


def sequence_stats_charge(handle_name: str, sequence_id: str, batch: str) -> Key:
    """Marks the stream batch `batch` as counted in the sequence's counters."""
    return _key(f"HANDLE#{handle_name}", f"SEQSTATCHG#{sequence_id}#{batch}")

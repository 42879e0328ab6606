"""What a webhook says: each payload the service builds is one the OpenAPI document's
webhooks section describes, and an event derives the same delivery id every time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tenx_email.campaign_models import RuleRun, RuleRunOutcome
from tenx_email.message_models import DeliveryEvent, EventType, Message, MessageStatus, Recipient
from tenx_email.models import Purpose
from tenx_email.openapi import build_document
from tenx_email.openapi_webhooks import MessageEventPayload, RuleRunPayload, WebhookTestPayload
from tenx_email.webhook_payloads import of_event, of_run, webhook_test
from tenx_email.webhooks import DELIVERY_ID, EVENT_TYPES, TEST_EVENT_TYPE

AT = datetime(2026, 12, 3, 10, 0, 0, 123000, tzinfo=UTC)
EVENT = DeliveryEvent(
    handle="acme",
    message_id="msg_01jd0000000000000000000000",
    event_id="01jd0000000000000000000001",
    type=EventType.BOUNCED,
    purpose=Purpose.TRANSACTIONAL_API,
    recipient="zoë+crm@example.org",
    detail="Permanent/General",
    occurred_at=AT,
    test_mode=True,
)
RUN = RuleRun(
    handle="acme",
    campaign_id="cmp_welcome",
    rule_id="cer_00000000-0000-4000-8000-000000000001",
    event_id="evt_1",
    outcome=RuleRunOutcome.SKIPPED,
    rule_version=2,
    reason="recipient suppressed",
    at=AT,
)


def test_a_message_event_payload_is_as_documented() -> None:
    occurrence = of_event(EVENT, None)
    payload = MessageEventPayload.model_validate_json(occurrence.body)
    assert (payload.type, payload.timestamp) == (EventType.BOUNCED, "2026-12-03T10:00:00.123Z")
    assert payload.data.recipient == "zoë+crm@example.org"
    assert payload.data.test_mode is True
    assert "zoë" in occurrence.body  # UTF-8 as is, not \\u-escaped
    assert DELIVERY_ID.fullmatch(occurrence.delivery_id)


def _campaign_message(**made_by: object) -> Message:
    recipient = Recipient(
        email="zoë+crm@example.org", status=MessageStatus.SENT, ses_message_id="ses-1"
    )
    return Message(
        handle="acme",
        message_id=EVENT.message_id,
        status=MessageStatus.SENT,
        purpose=Purpose.PRODUCT_NOTIFICATION,
        sender_id="sender_notifications",
        from_name="Acme, Inc.",
        from_address="notifications@example.com",
        reply_to=None,
        recipients=(recipient,),
        subject="Welcome",
        template_id="tmpl_lead_followup",
        template_version=1,
        variables={},
        campaign_id="cmp_welcome",
        created_at=AT,
        updated_at=AT,
        **made_by,
    )


def test_a_sequence_steps_event_names_its_sequence_version_and_step() -> None:
    message = _campaign_message(sequence_id="seq_1", sequence_version=3, sequence_step=2)
    data = MessageEventPayload.model_validate_json(of_event(EVENT, message).body).data
    assert data.campaign_id == "cmp_welcome"
    assert data.sequence is not None
    assert (data.sequence.sequence_id, data.sequence.version, data.sequence.step) == ("seq_1", 3, 2)
    assert (data.rule_id, data.ses_message_id) == (None, "ses-1")


def test_a_rule_messages_event_names_its_rule_and_a_direct_sends_names_neither() -> None:
    rule = _campaign_message(rule_id="cer_1", rule_version=4, campaign_event_id="evt_1")
    data = MessageEventPayload.model_validate_json(of_event(EVENT, rule).body).data
    assert (data.campaign_id, data.rule_id, data.rule_version, data.sequence) == (
        "cmp_welcome",
        "cer_1",
        4,
        None,
    )
    direct = _campaign_message().model_copy(update={"campaign_id": None})
    body = json.loads(of_event(EVENT, direct).body)["data"]
    assert not {"campaignId", "ruleId", "ruleVersion", "sequence"} & set(body)


def test_a_rule_run_payload_is_as_documented() -> None:
    payload = RuleRunPayload.model_validate_json(of_run(RUN).body)
    assert (payload.data.rule_version, payload.data.reason) == (2, "recipient suppressed")


def test_a_test_payload_is_as_documented() -> None:
    payload = WebhookTestPayload.model_validate_json(webhook_test("acme", "wh_1", AT).body)
    assert payload.type == TEST_EVENT_TYPE


def test_the_same_event_derives_the_same_delivery_and_others_do_not() -> None:
    assert of_event(EVENT, None).delivery_id == of_event(EVENT, None).delivery_id
    other = EVENT.model_copy(update={"event_id": "01jd0000000000000000000002"})
    assert of_event(other, None).delivery_id != of_event(EVENT, None).delivery_id
    moved = RUN.model_copy(update={"outcome": RuleRunOutcome.MESSAGE_CREATED})
    assert of_run(moved).delivery_id != of_run(RUN).delivery_id
    # A delivery id sorts by its event's time, as the log lists it
    assert of_event(EVENT, None).delivery_id[4:14] == of_run(RUN).delivery_id[4:14]


def test_the_document_has_a_webhook_for_every_event_type() -> None:
    section = build_document()["webhooks"]
    assert set(section) == {*EVENT_TYPES, TEST_EVENT_TYPE}
    headers = [p["name"] for p in section["DELIVERED"]["post"]["parameters"]]
    assert headers == ["webhook-id", "webhook-timestamp", "webhook-signature"]
    assert json.dumps(section).count("#/components/schemas/MessageEventPayload") == 12

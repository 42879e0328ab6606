"""The campaign event bus, and the SES configuration set that reports sending events."""

from __future__ import annotations

from aws_cdk import aws_events as events
from aws_cdk import aws_ses as ses
from constructs import Construct

from tenx_email.resources import configuration_set_name, event_bus_name

# Every event the feedback path turns into delivery events, statuses and suppressions. Not
# Send: delivery records SENT itself when SES accepts the call, and every accepted email is
# followed by a Delivery, DeliveryDelay, Bounce, Complaint or Reject event anyway, so Send
# would double the feedback traffic (events, queue requests, invocations) for no news.
SES_EVENTS = (
    ses.EmailSendingEvent.DELIVERY,
    ses.EmailSendingEvent.BOUNCE,
    ses.EmailSendingEvent.COMPLAINT,
    ses.EmailSendingEvent.REJECT,
    ses.EmailSendingEvent.DELIVERY_DELAY,
    ses.EmailSendingEvent.RENDERING_FAILURE,
)


class Events(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.campaign_bus = events.EventBus(
            self, "CampaignBus", event_bus_name=event_bus_name(stage)
        )
        self.configuration_set = ses.ConfigurationSet(
            self,
            "ConfigurationSet",
            configuration_set_name=configuration_set_name(stage),
            reputation_metrics=True,
        )
        # SES can only publish to the account's default bus in its own region.
        default_bus = events.EventBus.from_event_bus_name(self, "DefaultBus", "default")
        self.configuration_set.add_event_destination(
            "ToEventBridge",
            destination=ses.EventDestination.event_bus(default_bus),
            events=list(SES_EVENTS),
        )

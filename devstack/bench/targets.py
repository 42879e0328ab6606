"""The figures' targets. They are reported beside the figures, never asserted."""

from __future__ import annotations

SEND_CALLS_PER_REQUEST = 3  # POST .../email/messages
READ_ONLY_CALLS_PER_REQUEST = 2  # every read-only route
AUTHORIZER_CALLS_WHEN_WARM = 0  # AWS calls and JWKS fetches, keys cached
DELIVERY_CALLS_PER_EMAIL = 3.5  # amortized over batches of ten
TRIGGER_CALLS_PER_RULE_MESSAGE = 3.0
SEQUENCE_CALLS_PER_STEP = 3.0  # like a rule message (issue 17)
FEEDBACK_CALLS_PER_SES_EVENT = 2.0
# A handler's cold import over its kind's floor (floor_route.py, floor_consumer.py): our code
# adds at most a tenth to what the stack itself costs.
COLD_IMPORT_RATIO_TO_FLOOR = 1.10
# A read route's first invocation after its import, over that import (first_invoke.py).
FIRST_INVOKE_RATIO_READ_ROUTE = 0.25
# The same first invocation over the stack's own (floor_route.py's read route, about 0.4 of its
# import, so the target above is below what the stack itself costs): our code adds at most a
# tenth, the cold import's standard.
FIRST_INVOKE_TO_FLOOR_READ_ROUTE = 1.10
# One handle's sustained emails per second under DynamoDB's per-partition limits (heat.py):
# a floor, not a ceiling.
MIN_EMAILS_PER_SECOND_PER_HANDLE = 1000.0
# The paced burst's SendEmail calls that SES throttled, % of its calls (burst.py).
PACED_BURST_THROTTLED_PCT = 2.0
# Layer bytes no handler imports (layer_use.py); what stays is listed with the reason it stays.
LAYER_UNUSED_BYTES = 0
COST_PCT_OF_SES = 10.0  # AWS cost per 1,000 emails besides SES, as % of SES's $0.10
# The headline's two scenarios (traffic.py), logs, traces and metrics included.
COST_HIGH_VOLUME_PCT_OF_SES = 10.0
COST_LOW_TRAFFIC_PCT_OF_SES = 20.0

PASS, MISS, NO_TARGET = "PASS", "MISS", "-"


def verdict(value: float, target: float | None) -> str:
    """PASS when the figure is at most its target (every target here is a ceiling)."""
    if target is None:
        return NO_TARGET
    return PASS if value <= target + 1e-9 else MISS


def route_target(route_id: str, read_only: bool) -> int | None:
    if route_id == "send_message":
        return SEND_CALLS_PER_REQUEST
    return READ_ONLY_CALLS_PER_REQUEST if read_only else None

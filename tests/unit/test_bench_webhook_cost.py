"""The cost model's webhook lines: what the fan-out and the sender add per 1,000 emails, on
inputs small enough to check by hand."""

from __future__ import annotations

import pytest

from devstack.bench import cost
from devstack.bench.cost import Measured, Mix, Profile, Webhooks


def _idle(name: str) -> Profile:
    return Profile(function=name, own_ms=0.0, calls={})


def _measured(webhooks: Webhooks | None) -> Measured:
    return Measured(
        memory_mb=1024,
        send=_idle("send"),
        authorizer=_idle("authorizer"),
        delivery_batch=_idle("deliver"),
        delivery_emails_per_batch=10.0,
        feedback_batch=_idle("feedback"),
        feedback_events_per_batch=10.0,
        trigger_batch=_idle("trigger"),
        trigger_messages_per_batch=10.0,
        delayed_trigger_batch=_idle("trigger (delayed)"),
        delayed_messages_per_batch=5.0,
        projection_batch=_idle("project_events"),
        projected_events_per_batch=30.0,
        webhooks=webhooks,
    )


# Two deliveries per email (SENT and DELIVERED). The fan-out queues 20 a batch (one Query
# of the endpoints, SendMessageBatch per ten; no table write); the sender POSTs 5 a batch
# at the same time (one BatchGetItem of the deliveries and their endpoint, a PutItem each;
# one Decrypt per 20 batches), waiting for one answer.
WEBHOOKS = Webhooks(
    fan_out_batch=Profile(
        function="fan_out_webhooks",
        own_ms=0.0,
        calls={"dynamodb:Query": 1, "sqs:SendMessageBatch": 2},
        read_units=0.5,
    ),
    deliveries_per_fan_out_batch=20.0,
    sender_batch=Profile(
        function="send_webhooks",
        own_ms=0.0,
        calls={"dynamodb:BatchGetItem": 1, "dynamodb:PutItem": 5, "kms:Decrypt": 0.05},
        read_units=6.0,
        write_units=5.0,
        wait_ms=cost.WEBHOOK_POST_LATENCY_MS,
    ),
    deliveries_per_sender_batch=5.0,
    deliveries_per_email=2.0,
)


def _line(estimate: cost.Estimate, component: str) -> cost.Line:
    return next(line for line in estimate.webhooks if line.component == f"webhooks: {component}")


def test_without_webhooks_the_model_has_no_webhook_lines() -> None:
    estimate = cost.estimate(_measured(None), Mix())
    assert estimate.webhooks == []
    assert estimate.webhook_pct_of_ses == 0.0


def test_webhook_lines_per_1000_emails() -> None:
    estimate = cost.estimate(_measured(WEBHOOKS), Mix(), scale=1.0)
    # Invocations per email: the fan-out 2 / 20 = 0.1, the sender 2 / 5 = 0.4.
    assert _line(estimate, "Lambda requests").quantity == pytest.approx(500)
    # Writes: 0.4 x 5 = 2 per email (the sender's); reads 0.1 x 0.5 + 0.4 x 6 = 2.45.
    assert _line(estimate, "DynamoDB writes").quantity == pytest.approx(2000)
    assert _line(estimate, "DynamoDB reads").quantity == pytest.approx(2450)
    # SQS: the fan-out's 2 SendMessageBatch x 0.1, and the mapping's receive and delete per
    # sender batch of 10 (Mix): 2 x 2 / 10.
    assert _line(estimate, "SQS requests").quantity == pytest.approx(1000 * (0.2 + 0.4))
    # KMS: 0.4 sender batches x 0.05 Decrypt.
    assert _line(estimate, "KMS requests").quantity == pytest.approx(20)
    assert _line(estimate, "KMS requests").dollars == pytest.approx(20 * 3e-6)
    # Billed ms: the fan-out 6 + 2 x 8 = 22; the sender 150 (its POSTs at once) + 6 + 5 x 5
    # + 0.05 x 20 = 182. At 1 GB: (0.1 x 22 + 0.4 x 182) / 1000 s x 1,000 emails.
    assert _line(estimate, "Lambda duration").quantity == pytest.approx(0.1 * 22 + 0.4 * 182)


def test_webhooks_count_in_the_headline_and_apart() -> None:
    without = cost.estimate(_measured(None), Mix())
    with_hooks = cost.estimate(_measured(WEBHOOKS), Mix())
    added = sum(line.dollars for line in with_hooks.webhooks)
    assert with_hooks.dollars == pytest.approx(without.dollars + added)
    assert with_hooks.pct_of_ses == pytest.approx(
        without.pct_of_ses + with_hooks.webhook_pct_of_ses
    )
    assert with_hooks.webhook_pct_of_ses == pytest.approx(100 * added / cost.SES_PER_1000_EMAILS)


def test_the_webhook_functions_show_in_the_per_function_figures() -> None:
    measured, mix = _measured(WEBHOOKS), Mix()
    units = cost.dynamodb_units_per_email(measured, mix)
    assert units["send_webhooks"] == pytest.approx({"read": 2.4, "write": 2.0})
    assert units["fan_out_webhooks"] == pytest.approx({"read": 0.05, "write": 0.0})
    billed = cost.lambda_ms_per_email(measured, mix, 1.0)
    assert billed["send_webhooks"] == pytest.approx(0.4 * 182)


def test_overlapping_posts_count_once_in_the_senders_wait() -> None:
    from devstack.bench.inprocess import _covered_seconds

    # Two POSTs at once (0-3 and 1-2), then one alone (5-6): the batch waited 4 s, not 5.
    assert _covered_seconds([(5.0, 6.0), (0.0, 3.0), (1.0, 2.0)]) == pytest.approx(4.0)
    assert _covered_seconds([]) == 0.0

"""The partition-heat arithmetic: which unit binds a handle, and at what rate."""

from __future__ import annotations

import pytest

from devstack.bench.capacity import ItemUnits
from devstack.bench.heat import heat_figure, heat_unit, item_kind

MSG_A = "MSG#msg_01jx0000000000000000000000"
MSG_B = "MSG#msg_01jx0000000000000000000001"


def test_time_ordered_items_belong_to_their_collection() -> None:
    assert heat_unit(MSG_A) == ("MSG#*", True)
    assert heat_unit("EVFEED#01JX000000#4900.000") == ("EVFEED#*", True)
    # One recipient's messages are one collection; another recipient's are another.
    assert heat_unit("RCPT#a@example.com#msg_01jx0000000000000000000000") == (
        "RCPT#a@example.com#*",
        True,
    )
    assert heat_unit("USAGE#2026-12-03") == ("USAGE#2026-12-03", False)
    assert heat_unit("IDEMP#order-1") == ("IDEMP#order-1", False)
    assert item_kind("RCPT#a@example.com#msg_01jx0000000000000000000000") == "RCPT#<email>#*"


def test_a_collection_binds_by_its_sum_an_item_by_its_own_load() -> None:
    charges = [
        # Two messages of 3 write units each, per email: their collection takes 6 per 2 emails.
        ItemUnits("HANDLE#a", MSG_A, write_units=3.0),
        ItemUnits("HANDLE#a", MSG_B, write_units=3.0),
        # Two idempotency keys of 4 each: separate items, each 4 per 2 emails.
        ItemUnits("HANDLE#a", "IDEMP#x", write_units=4.0),
        ItemUnits("HANDLE#a", "IDEMP#y", write_units=4.0),
        # One configuration item read twice: 3 read units per 2 emails.
        ItemUnits("HANDLE#a", "HANDLE", read_units=1.5),
        ItemUnits("HANDLE#a", "HANDLE", read_units=1.5),
    ]
    figure = heat_figure(charges, emails=2)
    # The messages: 3 write units per email against 1,000 per second -> 333.3 emails/s.
    assert figure.binding.kind == "MSG#*"
    assert figure.binding_is_collection
    assert figure.max_emails_per_second == pytest.approx(333.3)
    # The hottest single item is an idempotency key (2 write units per email), at that rate
    # 666.7 write units per second.
    assert (figure.hottest_item.kind, figure.hottest_item.items) in {
        ("IDEMP#x", 1),
        ("IDEMP#y", 1),
    }
    assert figure.hottest_item_write_units_per_second == pytest.approx(666.7)
    partition = figure.partitions[0]
    assert (partition.partition, partition.write_units_per_1000) == ("HANDLE#a", 7000.0)
    assert partition.read_units_per_1000 == 1500.0
    assert partition.items == 5


def test_reads_bind_against_three_times_the_write_limit() -> None:
    figure = heat_figure([ItemUnits("HANDLE#a", "HANDLE", read_units=6.0)], emails=1)
    # 6 read units per email against 3,000 per second.
    assert figure.max_emails_per_second == pytest.approx(500.0)
    assert figure.hottest_item_read_units_per_second == pytest.approx(3000.0)


def test_a_run_without_emails_or_items_is_refused() -> None:
    with pytest.raises(ValueError, match="no email"):
        heat_figure([], emails=0)
    with pytest.raises(ValueError, match="no item"):
        heat_figure([], emails=3)


def test_a_handles_messages_spread_over_its_shards() -> None:
    charges = [
        # 4 write units per email on messages, whichever shard each message is in.
        ItemUnits("HANDLE#a", MSG_A, write_units=4.0),
        ItemUnits("HANDLE#a#SHARD1", MSG_B + "_1", write_units=4.0),
        ItemUnits("HANDLE#a", "HANDLE", read_units=1.0),
    ]
    one = heat_figure(charges, emails=2, shards=1)
    assert one.max_emails_per_second == pytest.approx(250.0)
    four = heat_figure(charges, emails=2, shards=4)
    # Over four shards the messages take a quarter each: 1,000 emails/s.
    assert (four.binding.partition, four.binding.kind) == ("HANDLE#a[#SHARD*]", "MSG#*")
    assert four.max_emails_per_second == pytest.approx(1000.0)
    # Thirty-two: the messages no longer bind (8,000 emails/s); the handle item's reads do
    # (0.5 read units per email against 3,000 a second).
    most = heat_figure(charges, emails=2, shards=32)
    assert most.binding.kind == "HANDLE"
    assert most.max_emails_per_second == pytest.approx(6000.0)
    kinds = {(row.partition, row.kind): row.items for row in most.kinds}
    assert kinds[("HANDLE#a[#SHARD*]", "MSG#*")] == 2

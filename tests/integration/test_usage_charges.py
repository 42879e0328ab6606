"""The day's usage counts each stream batch once, however batches of several stream shards
interleave with their retries (dal/quotas.py, `charge`)."""

from __future__ import annotations

import random

import pytest

from tenx_email.dal import quotas

HANDLE, DAY, EXPIRES = "acme", "2026-12-03", 1_900_000_000


def used() -> int:
    return quotas.read(HANDLE, DAY).used


def test_a_batch_retried_after_another_shards_batch_is_not_charged_again(tenant: None) -> None:
    # Shard A's batch charges, shard B's batch charges, then A's batch is retried (its run died
    # after the charge): the charge of the last batch to charge is no guard here.
    assert quotas.charge(HANDLE, DAY, 3, "shard-a-100-120", EXPIRES)
    assert quotas.charge(HANDLE, DAY, 5, "shard-b-7-9", EXPIRES)
    assert not quotas.charge(HANDLE, DAY, 3, "shard-a-100-120", EXPIRES)
    assert used() == 8


@pytest.mark.parametrize("seed", range(5))
def test_interleaved_charges_and_their_retries_add_up_exactly(tenant: None, seed: int) -> None:
    # DynamoDB serializes the charges' transactions, so concurrent stream shards amount to
    # some order of their batches and retries: here, shuffled orders in which each batch
    # of four shards comes once to three times. (moto itself is not safe to call from
    # several threads.)
    shuffle = random.Random(seed)  # noqa: S311 (an order of tests, not a secret)
    batches = [(f"shard-{n % 4}-{n}", n + 1) for n in range(24)]
    work = [batch for batch in batches for _ in range(shuffle.randint(1, 3))]
    shuffle.shuffle(work)
    charged = [quotas.charge(HANDLE, DAY, recipients, name, EXPIRES) for name, recipients in work]
    assert charged.count(True) == len(batches)
    assert used() == sum(recipients for _, recipients in batches)


def test_days_are_charged_apart(tenant: None) -> None:
    assert quotas.charge(HANDLE, DAY, 2, "b-1-2", EXPIRES)
    # The same batch may charge another day (its records span midnight), once as well.
    assert quotas.charge(HANDLE, "2026-12-04", 4, "b-1-2", EXPIRES)
    assert not quotas.charge(HANDLE, "2026-12-04", 4, "b-1-2", EXPIRES)
    assert (used(), quotas.read(HANDLE, "2026-12-04").used) == (2, 4)

"""The load run's requests, planned before any is sent, and what their answers add up to.

The plan is a pure function of the number of requests, so a run can be judged against what
it meant to send. It is laid out in blocks of three: two fresh idempotency keys, then a
repeat of one of them with the identical body. Even blocks repeat the block's second key
at once, without waiting (the two start together: the contract's concurrent duplicates);
odd blocks repeat the first key of an earlier block after its answer came (a client's
retry). A few odd blocks' second request is instead a conflict: the key just before it
with a different body, sent after that key's answer came.

Waiting keeps the outcome independent of scheduling: a conflict that overtook its original
would be the one accepted, and the original answered 409. A concurrent repeat has no such
order, and the service does not need one (layers/tenx_email/services/sending.py): both
requests read no key, both enqueue, and one stores the message and the key in one
transaction; the other's transaction fails on the key, and it answers as the winner's
replay, 202 with the winner's message (its queue record names a message never stored,
which delivery drops). Either may win, so answers are counted per key, not per request:
the first 202 in plan order is the key's accepted message, every later 202 naming the same
message a replay, and a 202 naming another message a replay mismatch (a second message for
one key, which the contract forbids).

The local stack never reaches that race: its LambdaRunner runs one invocation at a time
(devstack/lambdas.py), so of two requests sent together the second is handled after the
first stored its key, and answers as a replay from its read. The pairs still check that
the HTTP path turns concurrent duplicates into one message and one mail; the race itself
is tested in tests/integration/test_send_routes.py and the fault injection. The same lock
makes the latencies mostly the wait for it: p50 grows with the concurrency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from devstack.bench.targets import MISS, PASS

BLOCK = 3  # two fresh keys and one repeat: a third of the requests repeat a key


class Kind(StrEnum):
    FRESH = "fresh"
    REPEAT = "repeat"  # an earlier key with the identical body: 202, the original message
    CONFLICT = "conflict"  # an earlier key with a different body: 409 idempotency_key_conflict


@dataclass(frozen=True)
class Planned:
    index: int
    kind: Kind
    key: int  # the index of the fresh request whose idempotency key this one sends
    variant: int  # which body: the same variant renders the same subject
    wait_for: int | None  # send only after this request's answer came (None: at once)


@dataclass(frozen=True)
class Answer:
    status: int
    error: str | None  # the error code of a refusal
    message_id: str | None  # the message of a 202


@dataclass(frozen=True)
class Tally:
    accepted: int  # keys whose first 202 made a message
    replayed: int  # later 202s for a key, naming its message
    conflicts: int  # 409 idempotency_key_conflict on a conflict
    replay_mismatches: int  # later 202s for a key naming another message
    unexpected: dict[str, int]  # "kind status error" -> count, for every answer not planned
    messages: dict[str, int]  # every message a 202 named -> the variant of its body


def conflict_count(requests: int) -> int:
    """A few: one in fifty, at least three, at most one per odd block."""
    return min(max(3, requests // 50), requests // BLOCK // 2)


def plan(requests: int) -> list[Planned]:
    blocks = requests // BLOCK
    odd = list(range(1, blocks, 2))
    count = conflict_count(requests)
    # Spread over the run, so conflicts meet it busy as well as starting (below two blocks
    # count is 0: the set is empty and nothing divides by it).
    conflicted = {odd[(j * len(odd)) // count + len(odd) // (2 * count)] for j in range(count)}
    planned: list[Planned] = []
    for block in range(blocks):
        first = block * BLOCK
        planned.append(Planned(first, Kind.FRESH, first, first, None))
        if block in conflicted:
            planned.append(Planned(first + 1, Kind.CONFLICT, first, first + 1, first))
        else:
            planned.append(Planned(first + 1, Kind.FRESH, first + 1, first + 1, None))
        if block % 2 == 0:
            planned.append(Planned(first + 2, Kind.REPEAT, first + 1, first + 1, None))
        else:
            # Odd blocks b map to distinct earlier blocks b // 2: each key repeats at most once.
            earlier = (block // 2) * BLOCK
            planned.append(Planned(first + 2, Kind.REPEAT, earlier, earlier, earlier))
    planned += [
        Planned(index, Kind.FRESH, index, index, None) for index in range(blocks * BLOCK, requests)
    ]
    return planned


def classify(planned: Sequence[Planned], answers: Sequence[Answer]) -> Tally:
    if len(planned) != len(answers):
        raise ValueError("one answer per planned request")
    first: dict[int, str] = {}  # key -> the message its first 202 named
    messages: dict[str, int] = {}
    counts: Counter[str] = Counter()
    unexpected: Counter[str] = Counter()
    for request, answer in zip(planned, answers, strict=True):
        if answer.status == 202 and answer.message_id is not None:
            messages.setdefault(answer.message_id, request.variant)
            if request.kind is Kind.CONFLICT:
                unexpected[f"{request.kind} 202"] += 1
            elif request.key not in first:
                first[request.key] = answer.message_id
                counts["accepted"] += 1
                if request.kind is Kind.REPEAT:  # its original was refused: it made the message
                    unexpected[f"{request.kind} 202 first"] += 1
            elif first[request.key] == answer.message_id:
                counts["replayed"] += 1
            else:
                counts["mismatches"] += 1
                unexpected[f"{request.kind} 202 another message"] += 1
        elif request.kind is Kind.CONFLICT and (answer.status, answer.error) == (
            409,
            "idempotency_key_conflict",
        ):
            counts["conflicts"] += 1
        else:
            unexpected[f"{request.kind} {answer.status} {answer.error or ''}".strip()] += 1
    return Tally(
        accepted=counts["accepted"],
        replayed=counts["replayed"],
        conflicts=counts["conflicts"],
        replay_mismatches=counts["mismatches"],
        unexpected=dict(unexpected),
        messages=messages,
    )


def verdicts(result: dict[str, Any]) -> dict[str, str]:
    """A load run's result (as in bench.json): a message for every fresh key, nothing lost or
    sent twice, every repeat replayed, every different body refused and no replay naming
    another message."""
    fresh = result["requests"] - result["planned_repeats"] - result["planned_conflicts"]
    expected = {  # verdict -> (the result's field, its target)
        "accepted": ("accepted", fresh),
        "lost": ("lost", 0),
        "duplicates": ("duplicates", 0),
        "replayed": ("replayed", result["planned_repeats"]),
        "conflicts": ("conflicts", result["planned_conflicts"]),
        "replayMismatches": ("replay_mismatches", 0),
    }
    return {
        name: PASS if result[field] == target else MISS
        for name, (field, target) in expected.items()
    }

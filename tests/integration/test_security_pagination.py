"""Page tokens: a token is only good for the list that gave it out. For every list route with
a nextToken (found from the route functions' signatures) and every list it can serve (its
filters may query another partition or index), a forged token, a real token of another handle,
a real token of another list of the same handle, a real token with extra keys and a token that
is not one we sealed all answer 400 invalid_next_token; the list's own token pages on (the
control). Tokens are sealed (encrypted and authenticated): nothing of the keys they hold can be
read from them. The forgeries are tried twice: unsealed (what anyone can make) and sealed with
the stage's own key (as if it had leaked), which the second guard, the key checks, refuses.
docs/api.md, "Paging".
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tenx_email import sealed
from tenx_email.dal.pagination import PAGE_TOKEN_PURPOSE
from tests.integration import security_support as support
from tests.integration.security_support import (
    GLOBEX_OWNER,
    LIST_ROUTES,
    OPERATOR,
    ListVariant,
    World,
    first_token,
    list_page,
    list_variants,
)

world = support.delivered_world_fixture

# The list variants' names (they do not depend on the tenant's ids).
VARIANT_NAMES = [v.name for v in list_variants(support.blank_tenant())]


_TOKENS: dict[tuple[str, str, str], str] = {}


@pytest.fixture(autouse=True, scope="module")
def _forget_tokens() -> Iterator[None]:
    _TOKENS.clear()
    yield
    _TOKENS.clear()


def token_of(source: ListVariant, tenant: support.Tenant, sub: str) -> str:
    """The list's first nextToken (asked for once per module: tokens stay good)."""
    key = (tenant.handle, source.name, json.dumps([source.query, source.path]))
    if key not in _TOKENS:
        _TOKENS[key] = first_token(source, tenant, sub)
    return _TOKENS[key]


def variant(world: World, name: str) -> ListVariant:
    (found,) = [v for v in list_variants(world.acme) if v.name == name]
    return found


def globex_variant(world: World, name: str) -> ListVariant:
    (found,) = [v for v in list_variants(world.globex) if v.name == name]
    return found


def encode(key: Any) -> str:
    """A token holding `key`, sealed with the stage's key (as only the service can)."""
    return sealed.seal(PAGE_TOKEN_PURPOSE, json.dumps(key).encode())


def unsealed(key: Any) -> str:
    """A token holding `key` as anyone could make one: base64 JSON, unsealed."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode(token: str) -> dict[str, Any]:
    payload = sealed.open_sealed(PAGE_TOKEN_PURPOSE, token)
    assert payload is not None
    decoded: dict[str, Any] = json.loads(payload)
    return decoded


def refused(world: World, target: ListVariant, token: str) -> None:
    status, body = list_page(target, world.acme, OPERATOR, token)
    assert (status, body.get("error")) == (400, "invalid_next_token"), body
    assert not support.mentions(json.dumps(body), world.globex.secrets())


def test_every_list_route_is_covered() -> None:
    covered = {v.route_id for v in list_variants(support.blank_tenant())}
    assert covered == {route.route_id for route in LIST_ROUTES}


# --- the control: a list's own token pages on --------------------------------------------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_lists_own_token_gives_the_next_page(world: World, name: str) -> None:
    target = variant(world, name)
    _, first = list_page(target, world.acme, OPERATOR)
    status, second = list_page(target, world.acme, OPERATOR, token_of(target, world.acme, OPERATOR))
    assert status == 200, second
    assert first != second
    assert not support.mentions(json.dumps(second), world.globex.secrets())


# --- forged and malformed tokens -----------------------------------------------------------------

MALFORMED = {
    "not-base64": "%%%not-base64%%%",
    "too-long": "A" * 3000,
    "too-short": "AAAA",
}
# What a forger would put in a token; each is tried unsealed and sealed.
FORGED_CONTENT: dict[str, Any] = {
    "not-json": b"not json at all",
    "invalid-utf8": b"\xff\xfe\xfd",
    "json-array": [["PK", "HANDLE#acme"]],
    "non-string-values": {"PK": {"S": "HANDLE#acme"}, "SK": 5},
    "empty-object": {},
    "member-item": {"PK": "HANDLE#acme", "SK": "MEMBER#user_owner"},
    "other-handle-template": {"PK": "HANDLE#globex", "SK": "TEMPLATE#tmpl_globex_welcome"},
    "user-index": {"GSI1PK": "USER#user_globex_owner", "GSI1SK": "HANDLE#globex"},
}


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_malformed_token_is_refused(world: World, name: str, token: str) -> None:
    refused(world, variant(world, name), token)


@pytest.mark.parametrize("sealing", ["unsealed", "sealed-with-the-stage-key"])
@pytest.mark.parametrize("content", FORGED_CONTENT.values(), ids=FORGED_CONTENT.keys())
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_forged_token_is_refused(world: World, name: str, content: Any, sealing: str) -> None:
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    if sealing == "unsealed":
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    else:
        token = sealed.seal(PAGE_TOKEN_PURPOSE, raw)
    refused(world, variant(world, name), token)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_token_is_opaque_and_any_change_to_it_is_refused(world: World, name: str) -> None:
    token = token_of(variant(world, name), world.acme, OPERATOR)
    key = decode(token)
    # Nothing of the key it holds shows in it, however it is decoded
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for value in key.values():
        for part in value.split("#"):
            if len(part) >= 6:
                assert part.encode() not in raw
                assert part not in token
    # The same key unsealed (what tokens were before) is refused
    refused(world, variant(world, name), unsealed(key))
    # And a token with one character changed is refused
    flipped = token[:-3] + ("B" if token[-3] != "B" else "C") + token[-2:]
    refused(world, variant(world, name), flipped)


# --- real tokens used elsewhere ------------------------------------------------------------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_another_handles_real_token_is_refused(world: World, name: str) -> None:
    token = token_of(globex_variant(world, name), world.globex, GLOBEX_OWNER)
    refused(world, variant(world, name), token)


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_another_handles_token_rewritten_to_name_your_handle_is_refused_or_stays_yours(
    world: World, name: str
) -> None:
    """Swapping the handle inside globex's token makes a key of acme's partition: it may only
    start acme's own list (after an item that does not exist), never return globex's items."""
    token = token_of(globex_variant(world, name), world.globex, GLOBEX_OWNER)
    key = {k: v.replace("globex", "acme") for k, v in decode(token).items()}
    status, body = list_page(variant(world, name), world.acme, OPERATOR, encode(key))
    assert status in (200, 400), body
    assert not support.mentions(json.dumps(body), world.globex.secrets())


def _cross_list_pairs() -> list[Any]:
    tenant = support.blank_tenant()
    variants = list_variants(tenant)
    return [
        pytest.param(source.name, target.name, id=f"{source.name}->{target.name}")
        for source in variants
        for target in variants
        if source.route_id != target.route_id
    ]


@pytest.mark.parametrize(("source", "target"), _cross_list_pairs())
def test_a_token_of_another_list_of_the_same_handle_is_refused(
    world: World, source: str, target: str
) -> None:
    token = token_of(variant(world, source), world.acme, OPERATOR)
    refused(world, variant(world, target), token)


def test_tokens_of_the_same_route_with_other_filters_are_refused(world: World) -> None:
    acme = world.acme
    by_status = variant(world, "messages-by-status")
    queued = ListVariant("messages-queued", "list_messages", {"status": "QUEUED"})
    failed = ListVariant("messages-failed", "list_messages", {"status": "FAILED"})
    lead_purpose = ListVariant(
        "messages-lead", "list_messages", {"purpose": "PRODUCT_NOTIFICATION"}
    )
    of_message = variant(world, "events-of-message")
    of_other_message = ListVariant(
        "events-of-other-message", "list_events", {"messageId": acme.message_ids[1]}
    )
    of_recipient = variant(world, "events-of-recipient")
    of_other_recipient = ListVariant(
        "events-of-other-recipient", "list_events", {"recipient": acme.recipients[1]}
    )
    runs = variant(world, "rule-runs")
    other_rule = ListVariant(
        "other-rule-runs",
        "list_rule_runs",
        {},
        {"campaignId": acme.campaign_id, "ruleId": acme.conversion_rule_id},
    )
    for source, target in [
        (by_status, queued),
        (by_status, failed),
        (variant(world, "messages-by-purpose"), lead_purpose),
        (of_message, of_other_message),
        (of_recipient, of_other_recipient),
        (runs, other_rule),
        (variant(world, "messages"), by_status),
        (variant(world, "events-since"), of_recipient),
    ]:
        refused(world, target, token_of(source, acme, OPERATOR))


@pytest.mark.parametrize(
    "extra",
    [
        {"injected": "x"},
        {"GSI1PK": "HANDLE#globex#MSGSTATUS#SENT"},
        {"GSI2PK": "HANDLE#globex#EVENTS"},
        {"PK ": "HANDLE#globex"},
    ],
    ids=["unknown", "gsi1", "gsi2", "near-pk"],
)
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_real_token_with_extra_keys_is_refused(
    world: World, name: str, extra: dict[str, str]
) -> None:
    target = variant(world, name)
    key = decode(token_of(target, world.acme, OPERATOR))
    if set(extra) <= set(key):
        pytest.skip("the key is part of this list's real tokens")
    refused(world, target, encode({**key, **extra}))


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_real_token_missing_any_of_its_keys_is_refused(world: World, name: str) -> None:
    """A start key without one of the list's key attributes is not a position DynamoDB will
    take: before dal/pagination.py required exactly the list's keys, an index list's token
    without its table sort key reached the query and crashed the route (5xx)."""
    target = variant(world, name)
    key = decode(token_of(target, world.acme, OPERATOR))
    assert {"PK", "SK"} <= set(key)
    for missing in key:
        refused(world, target, encode({k: v for k, v in key.items() if k != missing}))


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_real_token_retargeted_at_another_tenant_is_refused(world: World, name: str) -> None:
    target = variant(world, name)
    key = decode(token_of(target, world.acme, OPERATOR))
    for changed in (
        {**key, "PK": "HANDLE#globex"},
        {k: v.replace("acme", "globex") for k, v in key.items()},
        {k: v.replace("HANDLE#acme", "ACCOUNT#acc_globex") for k, v in key.items()},
    ):
        refused(world, target, encode(changed))


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_real_token_with_another_item_kind_stays_in_your_own_list(
    world: World, name: str
) -> None:
    """The table sort key of an index list's token only breaks ties inside the index
    partition the token must name exactly, so pointing it at another kind of item (a
    membership) is harmless: 400, or the rest of your own list."""
    target = variant(world, name)
    key = decode(token_of(target, world.acme, OPERATOR))
    status, body = list_page(
        target, world.acme, OPERATOR, encode({**key, "SK": "MEMBER#user_owner"})
    )
    if "GSI1PK" not in key and "GSI2PK" not in key:
        assert (status, body.get("error")) == (400, "invalid_next_token")
    assert status in (200, 400), body
    assert "MEMBER" not in json.dumps(body).replace("MEMBER#user_owner", "")
    assert not support.mentions(json.dumps(body), world.globex.secrets())

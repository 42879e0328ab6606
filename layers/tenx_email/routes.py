"""The route table: the one list of API routes.

API Gateway methods, per-route IAM grants, the route Lambdas' role checks and the local
gateway are all derived from it, so there is no second list to keep in sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from tenx_email.roles import Role


class Scope(StrEnum):
    """Whose access a route checks: a handle's members, or the members of an account."""

    HANDLE = "handle"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Route:
    route_id: str
    method: str
    path: str
    min_role: Role
    read_only: bool
    scope: Scope = Scope.HANDLE

    @property
    def handler_module(self) -> str:
        """Module under functions/ whose `handler` serves this route."""
        return self.route_id

    @property
    def resolver_path(self) -> str:
        """The path in Powertools' syntax (`<name>` instead of `{name}`)."""
        return re.sub(r"\{(\w+)\}", r"<\1>", self.path)


ROUTES: tuple[Route, ...] = (
    Route(
        route_id="list_senders",
        method="GET",
        path="/v2/handles/{handle}/email/senders",
        min_role=Role.OPERATOR,
        read_only=True,
    ),
)

_BY_ID = {route.route_id: route for route in ROUTES}


def route(route_id: str) -> Route:
    return _BY_ID[route_id]

"""What every API model shares. API request and response models are the contract's JSON
shapes (camelCase), kept apart from the domain and stored-item models, with explicit mapping,
one module per area of the API so that a route imports only its own. Inputs forbid unknown
fields, so a body carrying status, version, handle or ids it may not set is refused (400)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from pydantic.alias_generators import to_camel

MAX_VARIABLES = 100
MAX_VARIABLE_VALUE_CHARS = 10_000

VariableName = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", max_length=64)
]
VariableValue = (
    Annotated[str, StringConstraints(max_length=MAX_VARIABLE_VALUE_CHARS)]
    | StrictBool
    | StrictInt
    | float
)
Variables = Annotated[dict[VariableName, VariableValue], Field(max_length=MAX_VARIABLES)]


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)


class ApiInput(ApiModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(ApiModel):
    """Every error body, the resolver's and the gateway's (documented as `Error`)."""

    error: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    message: Annotated[str, StringConstraints(min_length=1)]
    request_id: str


def variable_values(variables: dict[str, str | bool | int | float]) -> dict[str, str]:
    """Variables as the renderer takes them: text (booleans as true/false)."""
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value)
        for name, value in variables.items()
    }

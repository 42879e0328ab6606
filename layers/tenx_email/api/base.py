"""What every API model shares. API request and response models are the contract's JSON
shapes (camelCase), kept apart from the domain and stored-item models, with explicit mapping,
one module per area of the API so that a route imports only its own. Inputs forbid unknown
fields, so a body carrying status, version, handle or ids it may not set is refused (400)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)
from pydantic.alias_generators import to_camel

from tenx_email.rendering import HEADER_BREAKER_CHARS


def integral(value: object) -> object:
    # JSON (and the OpenAPI document's "integer") counts 60.0 as the integer 60.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer as JSON has it: 60 or 60.0, never true, "60" or 60.5.
WholeNumber = Annotated[StrictInt, BeforeValidator(integral)]
# A version number (1 and up). The bound comes before the conversion, or pydantic documents
# it as an unknown keyword.
VersionNumber = Annotated[StrictInt, Field(ge=1), BeforeValidator(integral)]
# A version a client read where 0 means "not stored yet" (settings read before any put).
SeenVersion = Annotated[StrictInt, Field(ge=0), BeforeValidator(integral)]

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
# pydantic documents the names as patternProperties, which would let other names through.
Variables = Annotated[
    dict[VariableName, VariableValue],
    Field(max_length=MAX_VARIABLES, json_schema_extra={"additionalProperties": False}),
]


def checked_by_service(**constraints: Any) -> Any:
    """The OpenAPI document's statement of a constraint the service checks, for a field whose
    violation the contract answers with its own code (invalid_sender_id, invalid_recipient,
    ...) and in its own order: a model constraint would answer invalid_request, before the
    service's checks. Give it the constants the service checks with, so the two agree."""
    return Field(json_schema_extra=constraints)


def one_line_pattern(forbidden: str = "") -> str:
    """A pattern for text that may go into a mail header: at least one character that is not
    whitespace, and no line break, control character or any of `forbidden`."""
    never = HEADER_BREAKER_CHARS + "".join(
        f"\\{char}" if char in "\\]^-" else char for char in forbidden
    )
    return f"^[^{never}]*[^\\s{never}][^{never}]*$"


class ApiModel(BaseModel):
    # defer_build: a route uses two or three of its module's models; each is built when the
    # resolver first validates with it, not at every cold start's import.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, frozen=True, defer_build=True
    )


class ShowsTestMode(ApiModel):
    """`testMode: true` on test sends, their events and test-mode rules; absent otherwise, so
    the contract's shapes stay exactly as published."""

    test_mode: bool | None = Field(default=None, exclude_if=lambda value: not value)


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

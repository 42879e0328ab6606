"""What a request body must be: JSON (declared as application/json, or not declared), UTF-8,
and one JSON object. Each refusal says in plain words what was wrong and what to send, so a
developer calling with curl's `-d` (form-encoded) or a typo in the JSON learns why at once.

Checked before the resolver reads the body: Powertools would parse a form-encoded body as
form fields (answering "Field required" for every field, with the body as an unknown one),
fail unhandled on a multipart one without a boundary, and report malformed JSON as
"<offset>: JSON decode error".
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from tenx_email.errors import DomainError, InvalidInput, UnsupportedMediaType

JSON_MEDIA_TYPE = "application/json"
SEND_JSON = 'send a JSON object with "Content-Type: application/json"'
# Methods whose requests may carry a body (GET and DELETE bodies are never read).
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _content_type(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    return next(
        (str(value) for name, value in headers.items() if name.lower() == "content-type"), None
    )


def _media_type(content_type: str) -> str:
    # Media types are case-insensitive, and parameters (charset=utf-8) do not change them.
    return content_type.split(";", 1)[0].strip().lower()


def refusal(event: dict[str, Any]) -> DomainError | None:
    """Why this request's body cannot be read as JSON, or None if it can (or has none)."""
    if str(event.get("httpMethod", "")).upper() not in BODY_METHODS or not event.get("body"):
        return None
    media_type = _media_type(_content_type(event) or "")
    if media_type and media_type != JSON_MEDIA_TYPE:
        return UnsupportedMediaType(f"the body was sent as {media_type}; {SEND_JSON}")
    if event.get("isBase64Encoded"):
        try:
            base64.b64decode(str(event["body"]), validate=True).decode("utf-8")
        except binascii.Error:
            return InvalidInput("the body is not valid base64, as its encoding flag says")
        except UnicodeDecodeError as error:
            return InvalidInput(
                f"the body is not valid JSON: it is not UTF-8 (byte {error.start + 1} is "
                f"0x{error.object[error.start]:02x}); {SEND_JSON}"
            )
    return None


def as_json(event: dict[str, Any]) -> dict[str, Any]:
    """The event as the resolver should see it once `refusal` found nothing: without a
    Content-Type, which Powertools reads as JSON (it would read `Application/JSON` or the
    declared type of an empty body otherwise)."""
    headers = event.get("headers") or {}
    if not any(name.lower() == "content-type" for name in headers):
        return event
    kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    return {**event, "headers": kept}


def json_object(text: str) -> dict[str, Any]:
    """The resolver's body parser: the body's JSON object, or a refusal saying what and where."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as error:
        what = error.msg[0].lower() + error.msg[1:]
        raise InvalidInput(
            f"the body is not valid JSON: {what} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise InvalidInput("the body is nested too deeply; send a flat JSON object") from None
    if not isinstance(parsed, dict):
        kind = "null" if parsed is None else _JSON_KINDS.get(type(parsed), "a value")
        raise InvalidInput(f"the body must be a JSON object ({{...}}), not {kind}")
    if "\\u" in text:
        _refuse_unpaired_surrogates(parsed)
    return parsed


_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
}


def _refuse_unpaired_surrogates(parsed: dict[str, Any]) -> None:
    # JSON may spell half of a UTF-16 pair (\ud800) on its own; Python keeps it, and it would
    # fail later where the text is encoded (sizes, storage) as a 500. Only \u escapes make one.
    try:
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(
            "the body is not valid JSON text: it holds an unpaired UTF-16 surrogate escape "
            "(\\ud800-\\udfff)"
        ) from None

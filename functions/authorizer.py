"""API Gateway TOKEN authorizer: verifies the bearer JWT, nothing else (see
tenx_email.services.authentication for why the decision depends on the token alone)."""

from __future__ import annotations

from tenx_email.startup import module_loaded

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.observability import logger
from tenx_email.services.authentication import Decision, authenticate


def _policy(effect: str, method_arn: str) -> dict[str, Any]:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> every route of the stage,
    # so the cached answer is right for any route the same token calls next.
    api_and_stage = "/".join(method_arn.split("/")[:2])
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{api_and_stage}/*"}
        ],
    }


def _response(decision: Decision, method_arn: str) -> dict[str, Any]:
    if decision.allowed:
        return {
            "principalId": decision.sub,
            "policyDocument": _policy("Allow", method_arn),
            "context": {"sub": decision.sub, "exp": decision.expires_at},
        }
    return {
        "principalId": "anonymous",
        "policyDocument": _policy("Deny", method_arn),
        "context": {"error": decision.error, "message": decision.message},
    }


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    decision = authenticate(event.get("authorizationToken"))
    logger.info("token checked", extra={"allowed": decision.allowed, "reason": decision.error})
    return _response(decision, str(event.get("methodArn", "")))


module_loaded()

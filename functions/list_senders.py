"""GET /v2/handles/{handle}/email/senders: the handle's sender profiles."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tenx_email.api.models import SenderListOut, SenderOut
from tenx_email.api.resolver import create_resolver, handle_access, require_role
from tenx_email.observability import logger, metrics, tracer
from tenx_email.routes import route
from tenx_email.services import senders

ROUTE = route("list_senders")
app = create_resolver()


@app.get(ROUTE.resolver_path, middlewares=[require_role(ROUTE)])
def list_senders(handle: str) -> SenderListOut:
    found = senders.list_senders(handle_access(app))
    return SenderListOut(senders=[SenderOut.from_sender(sender) for sender in found])


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)

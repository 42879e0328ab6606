"""The least an API route function can import with this stack: boto3, the Powertools REST
resolver with request validation, Logger, Metrics and one pydantic body model. The bench times
it like a handler, so the handlers' ratios can be read against what no code of ours causes.

Its read route is the floor of a first invocation too (first_invoke.py): the DynamoDB Table
resource made on first use, one GetItem, the resolver's first dispatch with validation, and
the handler wrapped in Logger and Metrics as a route function is."""

import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.logging import correlation_paths
from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

logger, metrics = Logger(), Metrics()
app = APIGatewayRestResolver(enable_validation=True)
KEY = Key("PK")
READ_PATH = "/things/{thingId}"


class Body(BaseModel):
    name: str


@cache
def _table() -> Any:
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


@app.post("/things")
def create(body: Body) -> Body:
    return body


@app.get("/things/<thingId>")
def read(thingId: str) -> Body:  # noqa: N803
    item = _table().get_item(Key={"PK": thingId, "SK": thingId}).get("Item") or {}
    return Body(name=str(item.get("name", thingId)))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)

"""The least an API route function can import with this stack: boto3, the Powertools REST
resolver with request validation, Logger, Metrics and one pydantic body model. The bench times
it like a handler, so the handlers' ratios can be read against what no code of ours causes."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

logger, metrics = Logger(), Metrics()
app = APIGatewayRestResolver(enable_validation=True)
KEY = Key("PK")


class Body(BaseModel):
    name: str


@app.post("/things")
def create(body: Body) -> Body:
    return body

"""The least an SQS consumer function can import with this stack: boto3, Powertools' batch
processing, Logger, Metrics and one pydantic model (see floor_route.py)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from boto3.dynamodb.conditions import Key
from pydantic import BaseModel

logger, metrics = Logger(), Metrics()
processor = BatchProcessor(EventType.SQS)
KEY = Key("PK")


class Job(BaseModel):
    name: str


def handle(record: SQSRecord) -> Job:
    return Job.model_validate_json(record.body)

"""Creates the stack's AWS resources in moto from tenx_email.resources, the same definitions
the CDK constructs use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tenx_email import resources
from tenx_email.adapters import token_keys

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_kms import KMSClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient


def create_table(dynamodb: DynamoDBClient, name: str) -> None:
    spec = resources.TABLE
    attributes = {spec.partition_key, spec.sort_key}
    for index in spec.indexes:
        attributes |= {index.partition_key, index.sort_key}
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"} for attribute in sorted(attributes)
        ],
        KeySchema=[
            {"AttributeName": spec.partition_key, "KeyType": "HASH"},
            {"AttributeName": spec.sort_key, "KeyType": "RANGE"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    {"AttributeName": index.sort_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": spec.stream_view_type},
    )
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
    )


@dataclass(frozen=True)
class QueueUrls:
    queue_url: str
    dead_letter_url: str


def create_queue(sqs: SQSClient, stage: str, spec: resources.QueueSpec) -> QueueUrls:
    dead_letter_url = sqs.create_queue(
        QueueName=resources.queue_name(stage, spec, dead_letter=True),
        Attributes={"MessageRetentionPeriod": str(spec.dlq_retention_seconds)},
    )["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(
        QueueUrl=dead_letter_url, AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(
        QueueName=resources.queue_name(stage, spec),
        Attributes={
            "VisibilityTimeout": str(spec.visibility_timeout_seconds),
            "MessageRetentionPeriod": str(spec.retention_seconds),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": spec.max_receive_count}
            ),
        },
    )["QueueUrl"]
    return QueueUrls(queue_url=queue_url, dead_letter_url=dead_letter_url)


def create_token_keys(secrets: SecretsManagerClient, name: str) -> None:
    """The secret of keys that seal client tokens, as the stack creates it: a random current
    key and no previous one."""
    secrets.create_secret(Name=name, SecretString=token_keys.initial_secret())


def create_webhook_secrets_key(kms: KMSClient, alias: str) -> None:
    """The KMS key that encrypts webhook signing secrets, under its alias, as the stack has it."""
    key = kms.create_key(Description="Encrypts webhook endpoints' signing secrets")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])

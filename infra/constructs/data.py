"""The single DynamoDB table, built from the shared TABLE spec, and the secret of keys that
seal the tokens clients hold."""

from __future__ import annotations

from aws_cdk import Acknowledgment, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from tenx_email.resources import TABLE, table_name, token_keys_secret_name


def _string_key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING)


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.table = dynamodb.Table(
            self,
            "Table",
            table_name=table_name(stage),
            partition_key=_string_key(TABLE.partition_key),
            sort_key=_string_key(TABLE.sort_key),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TABLE.ttl_attribute,
            # Its change stream is what the stream consumers (the event projection) read.
            stream=dynamodb.StreamViewType[TABLE.stream_view_type],
            # Tenant data outlives the stack: deleting the stack must not delete the table.
            removal_policy=RemovalPolicy.RETAIN,
        )
        for index in TABLE.indexes:
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_string_key(index.partition_key),
                sort_key=_string_key(index.sort_key),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        self.token_keys = secretsmanager.Secret(
            self,
            "TokenKeys",
            secret_name=token_keys_secret_name(stage),
            description="Keys that seal page tokens (and later unsubscribe tokens)",
            # {"current": <random>, "previous": null}: adapters/token_keys.py reads it.
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template='{"previous": null}',  # noqa: S106 (no secret in it)
                generate_string_key="current",
                password_length=64,
                exclude_punctuation=True,
            ),
            # Tokens clients hold would stop opening if the keys went with the stack.
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(self.token_keys).acknowledge(
            Acknowledgment(
                id="AwsSolutions-SMG4",
                reason="Rotated by the operators' command (tenx-admin rotate-token-keys), which "
                "keeps the previous key for tokens already issued; a Secrets Manager rotation "
                "Lambda would drop it.",
            )
        )

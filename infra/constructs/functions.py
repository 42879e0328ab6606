"""The one factory every Lambda comes from: runtime, architecture, layer, logging, tracing, env."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import (
    FUNCTIONS_DIR,
    LAMBDA_ARCHITECTURE,
    LAMBDA_MEMORY_MB,
    LAMBDA_RUNTIME,
    LOG_LEVEL,
    LOG_RETENTION,
    METRICS_NAMESPACE,
    SERVICE_NAME,
)


class ServiceFunction(Construct):
    """A Lambda with its own role and log group; the role may only write its own logs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        layer: lambda_.ILayerVersion,
        handler: str,
        timeout: Duration,
        environment: Mapping[str, str],
        tracing: lambda_.Tracing,
    ) -> None:
        super().__init__(scope, construct_id)
        # Our own role instead of the default one avoids the AWS-managed basic execution
        # policy, whose log permissions cover every log group in the account.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler}",
        )
        log_group = logs.LogGroup(
            self, "Logs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            code=code,
            handler=handler,
            layers=[layer],
            role=self.role,
            memory_size=LAMBDA_MEMORY_MB,
            timeout=timeout,
            tracing=tracing,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel(LOG_LEVEL),
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            environment=dict(environment),
        )
        Validations.of(self.role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="Only for actions that support no resource-level permissions: "
                "xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing), on "
                "routes that read SES identities, ses:GetIdentityMailFromDomainAttributes, on "
                "the delivery consumer, ses:GetAccount (the send rate it paces to) and, on "
                "table stream consumers, dynamodb:ListStreams (their event source's grant).",
            )
        )


class FunctionFactory:
    """Builds every function of the stack the same way; callers add only their own grants."""

    def __init__(
        self,
        *,
        stage: str,
        ses_region: str,
        layer: lambda_.ILayerVersion,
        table: dynamodb.ITable,
    ) -> None:
        self._layer = layer
        self._code = lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=["__pycache__", "*.pyc"])
        self._environment = {
            "STAGE": stage,
            "TABLE_NAME": table.table_name,
            # Where new SES identities are created (tenx_email.settings.SesSettings).
            "SES_REGION": ses_region,
            "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
            "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
        }

    def create(
        self,
        scope: Construct,
        construct_id: str,
        *,
        module: str,
        timeout: Duration,
        environment: Mapping[str, str] | None = None,
        consumer: bool = False,
    ) -> ServiceFunction:
        """A function whose handler is `handler` in `functions/<module>.py`. A route traces
        actively (the API stage's sampling rule decides); a consumer traces only what arrives
        sampled (resources.TraceSampling)."""
        return ServiceFunction(
            scope,
            construct_id,
            code=self._code,
            layer=self._layer,
            handler=f"{module}.handler",
            timeout=timeout,
            environment={**self._environment, **(environment or {})},
            tracing=lambda_.Tracing.PASS_THROUGH if consumer else lambda_.Tracing.ACTIVE,
        )

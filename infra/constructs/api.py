"""The REST API, derived from the route table: one method and one Lambda per route."""

from __future__ import annotations

import json
import re
from typing import cast

from aws_cdk import Acknowledgment, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra.config import DeployConfig
from infra.constants import (
    API_FUNCTION_TIMEOUT,
    API_THROTTLE_BURST,
    API_THROTTLE_RATE,
    AUTHORIZER_CACHE_TTL,
    AUTHORIZER_MODULE,
    LOG_RETENTION,
    stack_name,
)
from infra.constructs.functions import FunctionFactory
from infra.constructs.ses_tenants import grant_tenant_actions
from tenx_email.gateway_responses import GATEWAY_RESPONSES
from tenx_email.resources import API_TRACE_SAMPLING
from tenx_email.routes import PUBLIC_ROUTES, ROUTES, Grant, PublicRoute, Route

_F = apigw.AccessLogField
# Request metadata only: no headers, bodies or tokens reach the access log.
_ACCESS_LOG_FORMAT = {
    "requestId": _F.context_request_id(),
    "requestTime": _F.context_request_time(),
    "ip": _F.context_identity_source_ip(),
    "httpMethod": _F.context_http_method(),
    "resourcePath": _F.context_resource_path(),
    "status": _F.context_status(),
    "protocol": _F.context_protocol(),
    "responseLength": _F.context_response_length(),
    "integrationLatency": _F.context_integration_latency(),
    "errorType": _F.context_error_response_type(),
    "principalId": _F.context_authorizer_principal_id(),
}


# SES actions per route grant. Identity actions are scoped to this account's identities in the
# SES region; GetIdentityMailFromDomainAttributes supports no resource-level permission.
_SES_IDENTITY_ACTIONS = {
    Grant.SES_IDENTITY_READ: ["ses:GetEmailIdentity"],
    Grant.SES_IDENTITY_WRITE: ["ses:CreateEmailIdentity", "ses:SetIdentityMailFromDomain"],
}
_SES_UNSCOPED_ACTIONS = {Grant.SES_IDENTITY_READ: ["ses:GetIdentityMailFromDomainAttributes"]}


_SES_GRANTS = frozenset({Grant.SES_IDENTITY_READ, Grant.SES_IDENTITY_WRITE})
# On this stage's tenants; an association also names the identity.
_SES_TENANT_ACTIONS = {
    Grant.SES_TENANT_READ: ["ses:GetTenant"],
    Grant.SES_TENANT_ASSOCIATE: ["ses:CreateTenantResourceAssociation"],
}


def _grant_ses(role: iam.IRole, route: Route, ses_region: str) -> None:
    ses_grants = sorted(route.grants & _SES_GRANTS)
    stack = Stack.of(role)
    identities = f"arn:{stack.partition}:ses:{ses_region}:{stack.account}:identity/*"
    # cdk-nag names the resource as synthesized: the partition is a literal once the region is.
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    for grant in ses_grants:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=_SES_IDENTITY_ACTIONS[grant], resources=[identities])
        )
        if grant in _SES_UNSCOPED_ACTIONS:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=_SES_UNSCOPED_ACTIONS[grant], resources=["*"])
            )
    if ses_grants:
        Validations.of(role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::arn:{partition}:ses:"
                f"{ses_region}:<AWS::AccountId>:identity/*]",
                reason="Tenants attach their own domains, so the identity names are not known "
                "at deploy time; the grant is limited to SES identities of this account and "
                "region.",
            )
        )


def _construct_id(route: Route | PublicRoute) -> str:
    return "".join(part.title() for part in route.route_id.split("_"))


def _path_parameters(route: Route | PublicRoute) -> dict[str, bool]:
    return {f"method.request.path.{name}": True for name in re.findall(r"\{(\w+)\}", route.path)}


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: DeployConfig,
        functions: FunctionFactory,
        table: dynamodb.Table,
        delivery_queue: sqs.IQueue,
        trigger_jobs_queue: sqs.IQueue,
        webhook_queue: sqs.IQueue,
        token_keys: secretsmanager.ISecret,
        webhook_secrets_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self._webhook_secrets_key = webhook_secrets_key
        self._ses_region, self._stage = config.ses_region, config.stage
        self._token_keys = token_keys
        # The queues a route may send to, by the route-table grant that allows it, with the
        # variable that tells the route where the queue is.
        self._queue_grants = {
            Grant.DELIVERY_QUEUE_SEND: ("DELIVERY_QUEUE_URL", delivery_queue),
            Grant.TRIGGER_JOBS_SEND: ("TRIGGER_JOBS_QUEUE_URL", trigger_jobs_queue),
            Grant.WEBHOOK_QUEUE_SEND: ("WEBHOOK_QUEUE_URL", webhook_queue),
        }
        authorizer = self._authorizer(config, functions)
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=stack_name(config.stage),
            description="Email automation API (JWT, multi-tenant)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=False,  # set up explicitly below
            deploy_options=apigw.StageOptions(
                stage_name=config.stage,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FORMAT)),
                throttling_rate_limit=API_THROTTLE_RATE,
                throttling_burst_limit=API_THROTTLE_BURST,
                tracing_enabled=True,
                metrics_enabled=True,
                # Errors only, and never request or response bodies (tokens, email content).
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                # The public routes have limits of their own, below the stage's.
                method_options={
                    f"{route.path}/{route.method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=route.rate_limit,
                        throttling_burst_limit=route.burst_limit,
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                    )
                    for route in PUBLIC_ROUTES
                },
            ),
        )
        self._authorizer_of_routes = authorizer
        self._sample_traces(config)
        self._enable_account_logging()
        # The gateway checks required path parameters. Body validation only applies to
        # methods with a request model, and there are none: the route Lambdas validate bodies.
        validator = self.rest_api.add_request_validator(
            "Basic", validate_request_parameters=True, validate_request_body=True
        )
        every_route: list[Route | PublicRoute] = [*ROUTES, *PUBLIC_ROUTES]
        for route in every_route:
            self._add_route(route, functions, table, validator)
        for spec in GATEWAY_RESPONSES:
            self.rest_api.add_gateway_response(
                spec.response_type,
                type=apigw.ResponseType.of(spec.response_type),
                status_code=None if spec.status_code is None else str(spec.status_code),
                templates={"application/json": spec.template},
            )
        self._acknowledge_api_findings()

    def _sample_traces(self, config: DeployConfig) -> None:
        """The stage's X-Ray sampling rule (resources.API_TRACE_SAMPLING): a request it samples
        is traced through the authorizer, its route and, as it is queued, the consumers."""
        sampling = API_TRACE_SAMPLING
        xray.CfnSamplingRule(
            self,
            "TraceSampling",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=f"tenx-{config.stage}-api",  # at most 32 characters
                priority=sampling.priority,
                reservoir_size=sampling.reservoir_per_second,
                fixed_rate=sampling.fixed_rate,
                service_name=f"{self.rest_api.rest_api_name}/{config.stage}",
                service_type="AWS::ApiGateway::Stage",
                host="*",
                http_method="*",
                url_path="*",
                resource_arn="*",
                version=1,
            ),
        )

    def _authorizer(self, config: DeployConfig, functions: FunctionFactory) -> apigw.IAuthorizer:
        # No table grant: the authorizer only checks the token against the issuer's JWKS.
        authorizer_function = functions.create(
            self,
            "Authorizer",
            module=AUTHORIZER_MODULE,
            timeout=API_FUNCTION_TIMEOUT,
            environment={
                "JWT_ISSUER": config.jwt_issuer,
                "JWT_AUDIENCE": config.jwt_audience,
                "JWKS_URL": config.jwks_url,
            },
        )
        # Caching by token is safe because the decision depends on the token alone; route
        # Lambdas check tenant and role themselves.
        return apigw.TokenAuthorizer(
            self,
            "JwtAuthorizer",
            handler=authorizer_function.function,
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )

    def _add_route(
        self,
        route: Route | PublicRoute,
        functions: FunctionFactory,
        table: dynamodb.Table,
        validator: apigw.IRequestValidator,
    ) -> None:
        queues = [
            self._queue_grants[grant] for grant in route.grants if grant in self._queue_grants
        ]
        environment = {variable: queue.queue_url for variable, queue in queues}
        reads_token_keys = Grant.TOKEN_KEYS_READ in route.grants
        if reads_token_keys:
            environment["TOKEN_KEYS_SECRET"] = self._token_keys.secret_name
        route_function = functions.create(
            self,
            _construct_id(route),
            module=route.handler_module,
            timeout=API_FUNCTION_TIMEOUT,
            environment=environment,
        )
        if isinstance(route, Route):
            _grant_ses(route_function.role, route, self._ses_region)
            for grant in sorted(route.grants & _SES_TENANT_ACTIONS.keys()):
                grant_tenant_actions(
                    route_function.role,
                    self._ses_region,
                    self._stage,
                    _SES_TENANT_ACTIONS[grant],
                    identities=grant is Grant.SES_TENANT_ASSOCIATE,
                )
        for _, queue in queues:
            queue.grant_send_messages(route_function.function)
        if reads_token_keys:
            self._token_keys.grant_read(route_function.function)
        if Grant.WEBHOOK_SECRETS_SEAL in route.grants:
            # Encrypt alone (grant_encrypt adds ReEncrypt* and GenerateDataKey*, unused here).
            route_function.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["kms:Encrypt"], resources=[self._webhook_secrets_key.key_arn]
                )
            )
        if route.read_only:
            table.grant_read_data(route_function.function)
        else:
            table.grant_read_write_data(route_function.function)
        cfn_table = cast(dynamodb.CfnTable, table.node.default_child)
        table_logical_id = Stack.of(self).get_logical_id(cfn_table)
        Validations.of(route_function.role).acknowledge(
            Acknowledgment(
                id=f"AwsSolutions-IAM5[Resource::<{table_logical_id}.Arn>/index/*]",
                reason="Queries the single table's own GSIs; the grant is limited to this "
                "table's indexes.",
            )
        )
        public = isinstance(route, PublicRoute)
        method = self.rest_api.root.resource_for_path(route.path).add_method(
            route.method,
            apigw.LambdaIntegration(route_function.function, allow_test_invoke=False),
            operation_name=route.route_id,
            request_validator=validator,
            request_parameters=_path_parameters(route),
            authorizer=None if public else self._authorizer_of_routes,
            authorization_type=(
                apigw.AuthorizationType.NONE if public else apigw.AuthorizationType.CUSTOM
            ),
        )
        if public:
            Validations.of(method).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-APIG4",
                    reason="Unsubscribe links are followed by mail recipients and mailbox "
                    "providers (RFC 8058), who hold no credentials: the sealed token in the "
                    "path is the authority, checked by the function, and the method is "
                    "throttled below the stage's limits.",
                ),
                Acknowledgment(
                    id="AwsSolutions-COG4",
                    reason="A public unsubscribe link: no user pool can apply (see APIG4).",
                ),
            )

    def _enable_account_logging(self) -> None:
        """Execution and access logs need API Gateway's account-wide CloudWatch Logs role."""
        role = iam.Role(
            self,
            "CloudWatchRole",
            assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(
                    "service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                )
            ],
        )
        # The setting is account-wide: keep it when the stack goes so other APIs keep logging.
        role.apply_removal_policy(RemovalPolicy.RETAIN)
        account = apigw.CfnAccount(self, "Account", cloud_watch_role_arn=role.role_arn)
        account.apply_removal_policy(RemovalPolicy.RETAIN)
        self.rest_api.deployment_stage.node.add_dependency(account)
        Validations.of(role).acknowledge(
            Acknowledgment(
                id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
                reason="API Gateway's account-wide logging role serves every API and stage in "
                "the account, including log groups API Gateway names itself; AWS maintains "
                "this policy for exactly that role.",
            )
        )

    def _acknowledge_api_findings(self) -> None:
        Validations.of(self.rest_api).acknowledge(
            Acknowledgment(
                id="AwsSolutions-COG4",
                reason="Callers present external Product Suite JWTs (the API contract), which "
                "a Lambda TOKEN authorizer verifies against the issuer's JWKS; there is no "
                "Cognito user pool.",
            )
        )
        Validations.of(self.rest_api.deployment_stage).acknowledge(
            Acknowledgment(
                id="AwsSolutions-APIG3",
                reason="No WAF web ACL yet: stage throttling and the JWT authorizer bound "
                "abuse; attaching AWS WAF (managed rule groups, rate rules) is a per-account "
                "cost decision left to the deployment and tracked as follow-up.",
            )
        )

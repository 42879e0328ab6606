"""The web console: its built files in a private bucket, served with the API through one
CloudFront distribution, so the page calls the API on its own origin (no CORS to open).

- `/` and the assets come from the bucket, read by CloudFront alone (origin access control);
- `/v2/*` goes to the REST API, never cached, every viewer header but Host passed on (the
  bearer token included, which CloudFront allows only with caching off);
- every answer carries the security headers (a strict Content-Security-Policy among them);
- `config.json`, written at deploy time, tells the page where to sign in.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from aws_cdk import (
    Acknowledgment,
    DefaultStackSynthesizer,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
)
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from infra.config import ConsoleConfig

# The built page's own scripts and styles, and the API, on its own origin and the identity
# provider's. Inline styles are allowed, as on the local stack (devstack/console_site.py): the
# page uses none, and they let an email's own styling show in the template preview's frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' {sign_in}; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
_DIST_MISSING = "the console is not built: run `make console` (console/dist is missing)"


class Console(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: ConsoleConfig,
        rest_api: apigw.RestApi,
        dist: Path,
    ) -> None:
        super().__init__(scope, construct_id)
        if not (dist / "index.html").is_file():
            raise ValueError(_DIST_MISSING)
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront's standard logs are written with ACLs.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        Validations.of(logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="The access-log bucket itself: logging it would log its own writes.",
            )
        )
        self.bucket = s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="site/",
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=True,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=f"tenx-email console ({Stack.of(self).stack_name})",
            default_root_object="index.html",
            enable_logging=True,
            log_bucket=logs,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                response_headers_policy=self._security_headers(config),
            ),
            additional_behaviors={
                "/v2/*": cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(rest_api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=(
                        cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER
                    ),
                )
            },
        )
        self.url = f"https://{self.distribution.distribution_domain_name}/"
        self._acknowledge_distribution_findings()
        s3deploy.BucketDeployment(
            self,
            "Files",
            destination_bucket=self.bucket,
            sources=[
                s3deploy.Source.asset(str(dist)),
                s3deploy.Source.json_data("config.json", self._page_config(config)),
            ],
            distribution=self.distribution,
        )
        self._acknowledge_deployment_findings()

    def _page_config(self, config: ConsoleConfig) -> dict[str, object]:
        return {
            "apiBase": "",  # the API is on the page's own origin (/v2/*)
            "oidc": {
                "authority": config.authority,
                "clientId": config.client_id,
                "redirectUri": self.url,
                "scope": config.scope,
            },
        }

    def _security_headers(self, config: ConsoleConfig) -> cloudfront.ResponseHeadersPolicy:
        policy = CONTENT_SECURITY_POLICY.format(sign_in=" ".join(config.sign_in_origins))
        behavior = cloudfront.ResponseSecurityHeadersBehavior
        return cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=behavior(
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=policy, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365),
                    include_subdomains=True,
                    override=True,
                ),
            ),
        )

    def _acknowledge_distribution_findings(self) -> None:
        Validations.of(self.distribution).acknowledge(
            Acknowledgment(
                id="AwsSolutions-CFR1",
                reason="Tenants sign in from anywhere; the API checks every request's token.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR2",
                reason="The page is static; the API behind /v2/* has its own stage and "
                "per-route throttling and the JWT authorizer. A WAF is the operator's choice.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR4",
                reason="Without a custom domain the distribution uses CloudFront's default "
                "certificate (*.cloudfront.net), on which CloudFront sets the viewer TLS "
                "policy itself: no minimum can be chosen.",
            ),
        )

    def _acknowledge_deployment_findings(self) -> None:
        """BucketDeployment copies the files with a Lambda function CDK writes and shares
        stack-wide; its grants are CDK's, limited to the two buckets it copies between and
        the invalidation of the distribution after a deploy."""
        stack = Stack.of(self)
        site = stack.get_logical_id(cast(s3.CfnBucket, self.bucket.node.default_child))
        assets = (
            f"arn:aws:s3:::cdk-{DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-"
            f"<AWS::AccountId>-{stack.region}/*"
        )
        wildcards = [
            *(f"Action::s3:{action}*" for action in ("GetBucket", "GetObject", "List")),
            *(f"Action::s3:{action}*" for action in ("Abort", "DeleteObject")),
            f"Resource::<{site}.Arn>/*",
            f"Resource::{assets}",
            "Resource::*",  # cloudfront:CreateInvalidation names no distribution
        ]
        for child in stack.node.children:
            if not child.node.id.startswith("Custom::CDKBucketDeployment"):
                continue
            Validations.of(child).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "service-role/AWSLambdaBasicExecutionRole]",
                    reason="CDK's own file-copying function: the basic execution role, for "
                    "its logs.",
                ),
                *(
                    Acknowledgment(
                        id=f"AwsSolutions-IAM5[{wildcard}]",
                        reason="CDK's own file-copying function: it reads the asset bucket, "
                        "writes and prunes the site bucket's files, whatever their names, and "
                        "invalidates the distribution's cache.",
                    )
                    for wildcard in wildcards
                ),
                Acknowledgment(
                    id="AwsSolutions-L1",
                    reason="CDK's own file-copying function: CDK chooses its runtime.",
                ),
            )

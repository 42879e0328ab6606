"""The console's distribution: a private bucket only CloudFront reads, the API on the same
origin uncached with the bearer passed on, security headers, and the page's config.json."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.infra.cfn import one, resources, target
from tests.infra.conftest import CONTEXT, Synth

pytestmark = pytest.mark.infra

# CloudFront's managed policies.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def distribution(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    logical_id, found = one(template, "AWS::CloudFront::Distribution")
    return logical_id, found["Properties"]["DistributionConfig"]


def site_bucket(template: dict[str, Any]) -> str:
    _, config = distribution(template)
    (s3_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    return target(s3_origin["DomainName"])


def test_the_site_bucket_is_private_and_read_by_this_distribution_alone(
    template: dict[str, Any],
) -> None:
    distribution_id, _ = distribution(template)
    bucket_id = site_bucket(template)
    bucket = template["Resources"][bucket_id]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if target(p["Properties"]["Bucket"]) == bucket_id
    ]
    readers = [s for s in policy if s["Effect"] == "Allow" and s["Action"] == "s3:GetObject"]
    (reader,) = readers
    assert reader["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    source = json.dumps(reader["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert distribution_id in source
    assert any(s["Effect"] == "Deny" and "aws:SecureTransport" in json.dumps(s) for s in policy)


def test_the_api_is_on_the_consoles_origin_uncached_with_the_bearer_passed_on(
    template: dict[str, Any],
) -> None:
    _, config = distribution(template)
    (api,) = config["CacheBehaviors"]
    assert api["PathPattern"] == "/v2/*"
    assert api["CachePolicyId"] == CACHING_DISABLED
    # Only with caching off may an origin request policy pass Authorization on.
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert {"POST", "PUT", "DELETE"} <= set(api["AllowedMethods"])
    assert api["ViewerProtocolPolicy"] == "https-only"
    (origin,) = [o for o in config["Origins"] if o["Id"] == api["TargetOriginId"]]
    assert "RestApi" in json.dumps(origin["DomainName"])
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert "Logging" in config


def test_every_page_answer_carries_the_security_headers(template: dict[str, Any]) -> None:
    _, config = distribution(template)
    policy_id = target(config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"])
    headers = template["Resources"][policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # The page may reach its own origin and the identity provider's, nothing else.
    assert directives["connect-src"].split() == ["'self'", "https://issuer.example.com"]
    assert "'unsafe-eval'" not in csp
    assert "script-src" not in directives
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000


def test_the_pages_config_names_the_sign_in_and_its_own_address(
    synth: Synth, template: dict[str, Any]
) -> None:
    _, deployment = one(template, "Custom::CDKBucketDeployment")
    properties = deployment["Properties"]
    assert target(properties["DestinationBucketName"]) == site_bucket(template)
    assert properties["Prune"] is True
    assert "DistributionId" in properties
    configs: list[str] = []
    for key in properties["SourceObjectKeys"]:
        # The CLI stages each source as a directory named after its hash.
        staged = synth.outdir / f"asset.{key.removesuffix('.zip')}" / "config.json"
        if staged.is_file():
            configs.append(staged.read_text())
    (text,) = configs
    # The distribution's own address is filled in at deploy time, where the marker stands.
    assert text.count("<<marker:") == 1
    config = json.loads(re.sub(r"<<marker:[^>]+>>", '"https://d.example/"', text))
    assert config["apiBase"] == ""
    assert "handle" not in config  # one console for every tenant: it asks which handle
    assert config["oidc"]["authority"] == CONTEXT["jwtIssuer"]
    assert config["oidc"]["clientId"] == CONTEXT["consoleClientId"]
    assert config["oidc"]["redirectUri"] == "https://d.example/"


def test_the_stack_outputs_the_consoles_address(template: dict[str, Any]) -> None:
    output = template["Outputs"]["ConsoleUrl"]["Value"]
    distribution_id, _ = distribution(template)
    assert distribution_id in json.dumps(output)

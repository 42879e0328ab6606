"""CDK entry point: one stack per stage, checked by cdk-nag's AWS Solutions rules."""

from __future__ import annotations

import sys
from pathlib import Path

# The constructs read table, queue and route definitions from the layer's package.
sys.path.insert(0, str(Path(__file__).resolve().parent / "layers"))

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.config import DeployConfig
from infra.constants import stack_name
from infra.stack import EmailServiceStack

app = cdk.App()
config = DeployConfig.from_context(app.node)
EmailServiceStack(
    app,
    stack_name(config.stage),
    config=config,
    # SES publishes sending events only to the default bus of its own region, so the
    # configuration set (and everything else) lives in the SES region. Account stays open.
    env=cdk.Environment(region=config.ses_region),
    description=f"tenx-email service, stage {config.stage}",
)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()

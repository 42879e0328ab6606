"""IAM statements for handles' SES tenants: this stage's tenants only (their names begin with
resources.ses_tenant_prefix), in this account and the SES region."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from aws_cdk import aws_iam as iam

from tenx_email.resources import ses_tenant_prefix


def grant_tenant_actions(
    role: iam.IRole, region: str, stage: str, actions: list[str], *, identities: bool = False
) -> None:
    """`actions` on this stage's tenants (and, with `identities`, this account's identities,
    which an association names too)."""
    stack = Stack.of(role)
    prefix = f"arn:{stack.partition}:ses:{region}:{stack.account}"
    tenants = f"tenant/{ses_tenant_prefix(stage)}*"
    resources = [f"{prefix}:{tenants}", *([f"{prefix}:identity/*"] if identities else [])]
    role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))
    # cdk-nag names the resource as synthesized: the partition is a literal once the region is.
    partition = "<AWS::Partition>" if Token.is_unresolved(stack.partition) else stack.partition
    Validations.of(role).acknowledge(
        Acknowledgment(
            id=f"AwsSolutions-IAM5[Resource::arn:{partition}:ses:{region}"
            f":<AWS::AccountId>:{tenants}]",
            reason="A tenant's ARN ends with the id SES gives it at creation "
            "(tenant/<name>/<id>); the grant is limited to this stage's tenants in this "
            "account and region.",
        )
    )

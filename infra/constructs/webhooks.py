"""Webhooks' resources: the KMS key that encrypts endpoints' signing secrets (the routes
that make a secret may encrypt with it; only the webhook sender may decrypt)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_kms as kms
from constructs import Construct

from tenx_email.resources import webhook_secrets_key_alias


class WebhookSecretsKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, stage: str) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts webhook endpoints' signing secrets",
            enable_key_rotation=True,
            # Without it every stored secret is unreadable: endpoints would need new ones.
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The functions name the key by its alias (derived from the stage, like the table).
        self.key.add_alias(webhook_secrets_key_alias(stage))

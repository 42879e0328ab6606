"""The CDK app's constructs and stack: the deployed shape of the email-automation service."""

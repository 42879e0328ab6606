"""Data access: the only modules (with tenx_email.adapters) that touch boto3."""

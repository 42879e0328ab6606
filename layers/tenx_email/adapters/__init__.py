"""Adapters to AWS services other than the table; with tenx_email.dal the only boto3 users."""

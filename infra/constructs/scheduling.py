"""The schedule group for delayed campaign rules, and the role the Scheduler acts as."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from tenx_email.resources import schedule_group_name


class Scheduling(Construct):
    """Delayed rules become one-time schedules in this group that drop a job on `target`.

    The trigger service creates the schedules at run time and passes `role` to the Scheduler,
    which can then do one thing only: send a message to the trigger-jobs queue (or its DLQ).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        target: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.group = scheduler.ScheduleGroup(
            self, "Group", schedule_group_name=schedule_group_name(stage)
        )
        # Confused-deputy guard: only this account's Scheduler, acting for a schedule of this
        # group, may assume the role (AWS scopes aws:SourceArn to the group, not a schedule).
        self.role = iam.Role(
            self,
            "Role",
            description="Assumed by EventBridge Scheduler to deliver delayed campaign jobs",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
                    "ArnEquals": {"aws:SourceArn": self.group.schedule_group_arn},
                },
            ),
            inline_policies={
                "SendTriggerJobs": iam.PolicyDocument(
                    statements=[
                        # The target, and its DLQ for jobs the Scheduler could not deliver.
                        iam.PolicyStatement(
                            actions=["sqs:SendMessage"],
                            resources=[target.queue_arn, dead_letter_queue.queue_arn],
                        )
                    ]
                )
            },
        )

"""SQS queues, named by their URL (what DeleteQueue takes)."""
from __future__ import annotations

import datetime
import json

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

# SQS speaks JSON now; botocore reports its query-protocol code, the JSON one is the
# same error's other name.
NOT_FOUND = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def _epoch(seconds: str | None) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromtimestamp(float(seconds), datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def inspect_queue(client, url: str) -> Live | None:
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["CreatedTimestamp"]).get("Attributes", {})
    return Live(created=utc_iso(_epoch(attributes.get("CreatedTimestamp"))))


def delete_queue(client, url: str, live: Live, force: bool) -> list[str]:
    # The messages in it go with it.
    client.delete_queue(QueueUrl=url)
    return []


# What a cut-off queue still allows: what finishing the kill takes.
FINISHING = ["sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"]


def cut_off(client, url: str) -> list[str]:
    """A queue that cannot be deleted (its policy or an SCP refuses us): nobody may
    receive, send or purge its messages from now on; the messages expire with the
    queue's retention."""
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "MonocyteCutOff", "Effect": "Deny", "Principal": "*",
                       "NotAction": FINISHING, "Resource": arn}]})})
    return ["denied every use but deletion in the queue policy"]


TYPES = (
    ResourceType(
        cfn_type="AWS::SQS::Queue",
        service="sqs",
        events=(CreateEvent("sqs.amazonaws.com", "CreateQueue",
                            "detail.responseElements.queueUrl"),),
        inspect=inspect_queue,
        delete=delete_queue,
        # Without MaxResults, ListQueues returns up to 1000 URLs and no NextToken.
        listing=Listing("list_queues", "QueueUrls[]", "@", params={"MaxResults": 1000}),
        actions=("sqs:GetQueueAttributes", "sqs:DeleteQueue", "sqs:ListQueues",
                 "sqs:SetQueueAttributes"),
        not_found=NOT_FOUND,
        cut_off=cut_off,
    ),
)

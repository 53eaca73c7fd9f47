"""SNS topics, named by their ARN (what DeleteTopic takes)."""
from __future__ import annotations

import json

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType

# What a cut-off topic still allows: what finishing the kill takes.
FINISHING = ["sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes"]


def cut_off(client, arn: str) -> list[str]:
    """A topic that cannot be deleted: nobody may publish to it or subscribe to it."""
    client.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "MonocyteCutOff", "Effect": "Deny", "Principal": "*",
                       "NotAction": FINISHING, "Resource": arn}]}))
    return ["denied every use but deletion in the topic policy"]


def inspect_topic(client, arn: str) -> Live | None:
    client.get_topic_attributes(TopicArn=arn)
    return Live()


def delete_topic(client, arn: str, live: Live, force: bool) -> list[str]:
    # Its subscriptions go with it.
    client.delete_topic(TopicArn=arn)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::SNS::Topic",
        service="sns",
        events=(CreateEvent("sns.amazonaws.com", "CreateTopic",
                            "detail.responseElements.topicArn"),),
        inspect=inspect_topic,
        delete=delete_topic,
        listing=Listing("list_topics", "Topics[]", "TopicArn"),
        actions=("sns:GetTopicAttributes", "sns:DeleteTopic", "sns:ListTopics",
                 "sns:SetTopicAttributes"),
        cut_off=cut_off,
        not_found=("NotFound",),
        # Another change to the topic is under way: retried later.
        not_ready=("ConcurrentAccess",),
    ),
)

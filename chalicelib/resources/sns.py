"""SNS topics, named by their ARN (what DeleteTopic takes)."""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType


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
        actions=("sns:GetTopicAttributes", "sns:DeleteTopic", "sns:ListTopics"),
        not_found=("NotFound",),
        # Another change to the topic is under way: retried later.
        not_ready=("ConcurrentAccess",),
    ),
)

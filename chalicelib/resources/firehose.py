"""Amazon Data Firehose streams (delivery streams), named by their stream name.

A stream is CREATING for a while after CreateDeliveryStream; Firehose refuses to
delete it until then (ResourceInUseException), so the kill is deferred to a later run.

ListDeliveryStreams has no botocore paginator (it pages by the last name seen): the
scan makes one plain call, asking for 10,000 names, the most the API gives and more
than a region holds (its quota is 5,000 streams by default), so one answer holds
them all.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso

LIST_LIMIT = 10000  # ListDeliveryStreams' largest Limit


def inspect_stream(client, name: str) -> Live | None:
    stream = client.describe_delivery_stream(DeliveryStreamName=name)
    stream = stream["DeliveryStreamDescription"]
    if stream["DeliveryStreamStatus"] == "DELETING":
        return None
    return Live(created=utc_iso(stream.get("CreateTimestamp")))


def delete_stream(client, name: str, live: Live, force: bool) -> list[str]:
    # AllowForceDelete: delete even when Firehose cannot retire its grant on the
    # stream's KMS key (a key disabled or scheduled for deletion meanwhile).
    client.delete_delivery_stream(DeliveryStreamName=name, AllowForceDelete=True)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::KinesisFirehose::DeliveryStream",
        service="firehose",
        events=(CreateEvent("firehose.amazonaws.com", "CreateDeliveryStream",
                            "detail.requestParameters.deliveryStreamName"),),
        inspect=inspect_stream,
        delete=delete_stream,
        listing=Listing("list_delivery_streams", "DeliveryStreamNames[]", "@",
                        params={"Limit": LIST_LIMIT}),
        actions=("firehose:ListDeliveryStreams", "firehose:DescribeDeliveryStream",
                 "firehose:DeleteDeliveryStream"),
        not_found=("ResourceNotFoundException",),
        # Still CREATING: Firehose deletes a stream only once it is ACTIVE or failed.
        not_ready=("ResourceInUseException",),
    ),
)

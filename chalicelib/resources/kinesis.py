"""Kinesis data streams, named by stream name.

CreateStream answers nothing (``responseElements`` is null): the name comes from the
request. A stream is CREATING for a while after the call and refuses deletion until
it is ACTIVE: deferred, a later run takes it.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso


def inspect_stream(client, name: str) -> Live | None:
    summary = client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    if summary.get("StreamStatus") == "DELETING":
        return None
    return Live(created=utc_iso(summary.get("StreamCreationTimestamp")))


def delete_stream(client, name: str, live: Live, force: bool) -> list[str]:
    # Registered consumers (enhanced fan-out) would otherwise block the delete.
    client.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    return []


TYPES = (
    ResourceType(
        cfn_type="AWS::Kinesis::Stream",
        service="kinesis",
        events=(CreateEvent("kinesis.amazonaws.com", "CreateStream",
                            "detail.requestParameters.streamName"),),
        inspect=inspect_stream,
        delete=delete_stream,
        listing=Listing("list_streams", "StreamSummaries[]", "StreamName",
                        created="StreamCreationTimestamp"),
        actions=("kinesis:DescribeStreamSummary", "kinesis:DeleteStream",
                 "kinesis:ListStreams"),
        not_found=("ResourceNotFoundException",),
        # CREATING or UPDATING: DeleteStream refuses with ResourceInUse.
        not_ready=("ResourceInUseException",),
    ),
)

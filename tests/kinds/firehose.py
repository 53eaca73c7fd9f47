"""Amazon Data Firehose streams (see kinds/__init__.py for the contract)."""
from __future__ import annotations

import uuid

import boto3
from botocore.exceptions import ClientError

STREAM = "AWS::KinesisFirehose::DeliveryStream"


def create_stream(trail, region, protect=False):
    firehose = boto3.client("firehose", region)
    name = f"clickstream-{uuid.uuid4().hex[:8]}"
    trail.call(firehose, "create_delivery_stream", DeliveryStreamName=name,
               DeliveryStreamType="DirectPut",
               ExtendedS3DestinationConfiguration={
                   "RoleARN": "arn:aws:iam::123456789012:role/firehose-delivery",
                   "BucketARN": "arn:aws:s3:::team-clickstream-landing"})
    return name


def stream_exists(region, name):
    try:
        stream = boto3.client("firehose", region).describe_delivery_stream(
            DeliveryStreamName=name)
    except ClientError:
        return False
    return stream["DeliveryStreamDescription"]["DeliveryStreamStatus"] != "DELETING"


KINDS = {STREAM: (create_stream, stream_exists)}

PAGES = {STREAM: lambda n: {"DeliveryStreamNames": [n], "HasMoreDeliveryStreams": False}}

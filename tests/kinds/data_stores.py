"""ECR repositories, Kinesis data streams and Glue databases (see kinds/__init__.py
for the contract)."""
from __future__ import annotations

import json
import uuid

import boto3
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"
MANIFEST = json.dumps({
    "schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
               "digest": "sha256:" + "a" * 64},
    "layers": []})


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def create_repository(trail, region, protect=False):
    ecr = boto3.client("ecr", region)
    name = _name("team/app")
    trail.call(ecr, "create_repository", repositoryName=name)
    # An image in it: only a forced delete removes a repository that holds one.
    ecr.put_image(repositoryName=name, imageManifest=MANIFEST, imageTag="v1")
    return name


def repository_exists(region, name):
    try:
        boto3.client("ecr", region).describe_repositories(repositoryNames=[name])
        return True
    except ClientError:
        return False


def create_stream(trail, region, protect=False):
    kinesis = boto3.client("kinesis", region)
    name = _name("stream")
    trail.call(kinesis, "create_stream", StreamName=name, ShardCount=1)
    trail.events[-1]["detail"]["responseElements"] = None  # CreateStream answers nothing
    return name


def stream_exists(region, name):
    try:
        summary = boto3.client("kinesis", region).describe_stream_summary(StreamName=name)
    except ClientError:
        return False
    return summary["StreamDescriptionSummary"]["StreamStatus"] != "DELETING"


def create_database(trail, region, protect=False):
    glue = boto3.client("glue", region)
    name = _name("analytics").replace("-", "_")
    trail.call(glue, "create_database", DatabaseInput={"Name": name})
    trail.events[-1]["detail"]["responseElements"] = None  # CreateDatabase answers nothing
    return name


def database_exists(region, name):
    try:
        boto3.client("glue", region).get_database(Name=name)
        return True
    except ClientError:
        return False


KINDS = {
    "AWS::ECR::Repository": (create_repository, repository_exists),
    "AWS::Kinesis::Stream": (create_stream, stream_exists),
    "AWS::Glue::Database": (create_database, database_exists),
}

PAGES = {
    "AWS::ECR::Repository": lambda n: {"repositories": [{
        "repositoryName": n, "registryId": ACCOUNT,
        "repositoryArn": f"arn:aws:ecr:us-west-2:{ACCOUNT}:repository/{n}",
        "createdAt": "2026-11-29T11:20:39Z"}]},
    "AWS::Kinesis::Stream": lambda n: {"StreamNames": [n], "HasMoreStreams": True,
                                       "StreamSummaries": [{
        "StreamName": n, "StreamARN": f"arn:aws:kinesis:us-west-2:{ACCOUNT}:stream/{n}",
        "StreamStatus": "ACTIVE", "StreamCreationTimestamp": "2026-11-29T11:22:15Z"}]},
    "AWS::Glue::Database": lambda n: {"DatabaseList": [{
        "Name": n, "CatalogId": ACCOUNT, "CreateTime": "2026-11-29T11:24:31Z"}]},
}

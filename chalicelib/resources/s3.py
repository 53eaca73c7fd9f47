"""S3 buckets (general purpose)."""
from __future__ import annotations

import jmespath

from chalicelib.errors import AwsError, NotReady, aws_errors
from chalicelib.registry import CreateEvent, Listing, Live, ResourceType

_CONSTRAINT = jmespath.compile("detail.requestParameters.CreateBucketConfiguration"
                               ".LocationConstraint")


def bucket_region(constraint: str | None) -> str:
    """Where a bucket lives, from its LocationConstraint: none is us-east-1, and the
    legacy ``EU`` is Ireland."""
    if not constraint:
        return "us-east-1"
    if constraint == "EU":
        return "eu-west-1"
    return constraint


def _region_of_create(event: dict) -> str | None:
    constraint = _CONSTRAINT.search(event)
    if constraint is not None and not isinstance(constraint, str):
        return None
    return bucket_region(constraint)


def locate_bucket(client, name: str) -> str:
    """The bucket's own word on where it lives."""
    return bucket_region(client.get_bucket_location(Bucket=name).get("LocationConstraint"))


def inspect_bucket(client, name: str) -> Live | None:
    # The bucket itself is the truth about its region, whatever the event said.
    return Live(region=locate_bucket(client, name))


def delete_bucket(client, name: str, live: Live, force: bool) -> list[str]:
    # Most new buckets are still empty: try the one call first, empty only if refused.
    try:
        with aws_errors(not_ready=("BucketNotEmpty",)):
            client.delete_bucket(Bucket=name)
        return []
    except NotReady:
        pass
    removed = 0
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if batch:  # a page holds at most 1000 keys, DeleteObjects' limit
            answer = client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise AwsError(f"DeleteObjects: {len(answer['Errors'])} keys refused, first "
                               f"{first.get('Key')!r}: {first.get('Code')}", first.get("Code", ""))
            removed += len(batch)
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"],
                                          UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=name)
    return [f"emptied {removed} object versions"] if removed else []


TYPES = (
    ResourceType(
        cfn_type="AWS::S3::Bucket",
        service="s3",
        events=(CreateEvent("s3.amazonaws.com", "CreateBucket",
                            "detail.requestParameters.bucketName",
                            region=_region_of_create),),
        inspect=inspect_bucket,
        delete=delete_bucket,
        # Buckets are listed once per account; newer S3 answers say where each lives.
        listing=Listing("list_buckets", "Buckets[]", "Name", created="CreationDate",
                        per_account=True, region="BucketRegion", locate=locate_bucket),
        actions=("s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:ListBucketVersions", "s3:DeleteObjectVersion",
                 "s3:DeleteObject", "s3:ListBucketMultipartUploads", "s3:AbortMultipartUpload",
                 "s3:DeleteBucket"),
        not_found=("NoSuchBucket",),
        not_ready=("BucketNotEmpty", "OperationAborted"),
    ),
)

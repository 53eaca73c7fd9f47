"""S3 Express One Zone directory buckets (``name--zone-id--x-s3``).

CloudTrail logs their bucket-level calls under ``s3express.amazonaws.com``, in the
region of the regional endpoint the call went to, which is the bucket's. General
purpose buckets log under ``s3.amazonaws.com`` (``s3.py``): the two never claim
each other's CreateBucket, and neither listing shows the other's buckets.

The boto3 ``s3`` client serves both: it sends bucket calls on a directory bucket to
the regional ``s3express-control`` endpoint, and object calls to the zonal one with
CreateSession authorization (IAM: ``s3express:CreateSession``). Unlike general
purpose buckets they are listed per region and have no versions.
"""
from __future__ import annotations

from chalicelib.registry import CreateEvent, Listing, Live, ResourceType, utc_iso
from chalicelib.resources import s3

# Every directory bucket's name ends so (name--zone-id--x-s3); no general purpose
# bucket's can. Checked before anything is deleted: an emulator that answers
# ListDirectoryBuckets with every bucket must not make a general purpose one a target.
SUFFIX = "--x-s3"


def inspect_bucket(client, name: str) -> Live | None:
    if not name.endswith(SUFFIX):
        return None
    # ListDirectoryBuckets answers for the client's region only: a bucket found there
    # lives there (a region holds at most 100 of an account's).
    for page in client.get_paginator("list_directory_buckets").paginate():
        for bucket in page.get("Buckets", []):
            if bucket.get("Name") == name:
                return Live(created=utc_iso(bucket.get("CreationDate")))
    return None


def _empty(client, name: str) -> int:
    removed = 0
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        batch = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if batch:  # a page holds at most 1000 keys, DeleteObjects' limit
            s3.delete_keys(client, name, batch)
            removed += len(batch)
    return removed


def delete_bucket(client, name: str, live: Live, force: bool) -> list[str]:
    # The same steps as a general purpose bucket, without versions.
    if s3.deleted_at_once(client, name):
        return []
    removed = _empty(client, name)
    s3.abort_uploads(client, name)
    client.delete_bucket(Bucket=name)
    return [f"emptied {removed} objects"] if removed else []


TYPES = (
    ResourceType(
        cfn_type="AWS::S3Express::DirectoryBucket",
        service="s3",
        events=(CreateEvent("s3express.amazonaws.com", "CreateBucket",
                            "detail.requestParameters.bucketName"),),
        inspect=inspect_bucket,
        delete=delete_bucket,
        listing=Listing("list_directory_buckets", "Buckets[]", "Name",
                        created="CreationDate"),
        # Object calls on a directory bucket are authorized by s3express:CreateSession.
        actions=("s3express:ListAllMyDirectoryBuckets", "s3express:DeleteBucket",
                 "s3express:CreateSession"),
        not_found=("NoSuchBucket",),
        not_ready=("BucketNotEmpty", "OperationAborted"),
    ),
)

"""S3 buckets (general purpose)."""
from __future__ import annotations

import json

import jmespath

from chalicelib.errors import AwsError, NotFound, NotReady, aws_errors
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


# S3's IAM actions are not named after its operations.
IAM_NAMES = {
    ("s3", "ListObjectVersions"): ("s3:ListBucketVersions",),
    ("s3", "ListBuckets"): ("s3:ListAllMyBuckets",),
    ("s3", "DeleteObjects"): ("s3:DeleteObject", "s3:DeleteObjectVersion"),
    ("s3", "ListMultipartUploads"): ("s3:ListBucketMultipartUploads",),
    ("s3", "PutPublicAccessBlock"): ("s3:PutBucketPublicAccessBlock",),
    ("s3", "PutBucketLifecycleConfiguration"): ("s3:PutLifecycleConfiguration",),
}

# Object versions one kill removes before it stops (DeleteObjects takes 1000 a call):
# a bigger bucket is cut off and finished by later runs, inside Lambda's time limit.
VERSIONS_PER_RUN = 200_000

# What a cut-off bucket still allows: what finishing the kill takes. Everything else
# (reading, writing, sharing the data) is denied to everyone, whoever runs Monocyte.
FINISHING = ["s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads",
             "s3:GetBucketLocation", "s3:DeleteObject", "s3:DeleteObjectVersion",
             "s3:AbortMultipartUpload", "s3:DeleteBucket", "s3:GetBucketPolicy",
             "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration",
             "s3:GetLifecycleConfiguration", "s3:PutBucketPublicAccessBlock"]


def deleted_at_once(client, name: str) -> bool:
    """Most new buckets are still empty: try the one call first. False when S3 says
    it must be emptied; NotFound when it is gone (a retried call included)."""
    try:
        with aws_errors(not_found=("NoSuchBucket",), not_ready=("BucketNotEmpty",)):
            client.delete_bucket(Bucket=name)
        return True
    except NotReady:
        return False


def delete_keys(client, name: str, batch: list[dict]) -> None:
    """One DeleteObjects call (at most 1000 keys); any key it refuses is an error."""
    answer = client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
    if answer.get("Errors"):
        first = answer["Errors"][0]
        raise AwsError(f"DeleteObjects: {len(answer['Errors'])} keys refused, first "
                       f"{first.get('Key')!r}: {first.get('Code')}", first.get("Code", ""))


def abort_uploads(client, name: str) -> None:
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
        for upload in page.get("Uploads", []):
            try:
                with aws_errors(not_found=("NoSuchUpload",)):
                    client.abort_multipart_upload(Bucket=name, Key=upload["Key"],
                                                  UploadId=upload["UploadId"])
            except NotFound:
                pass  # aborted already (a retry after a lost answer)


def delete_bucket(client, name: str, live: Live, force: bool) -> list[str]:
    if deleted_at_once(client, name):
        return []
    removed, finished = _empty(client, name, VERSIONS_PER_RUN)
    if not finished:
        steps = _cut_off(client, name)
        raise NotReady(f"bucket too big for one run: removed {removed} object versions, "
                       f"then {', '.join(steps)}; a later run deletes the rest",
                       "BucketNotEmpty")
    abort_uploads(client, name)
    client.delete_bucket(Bucket=name)
    return [f"emptied {removed} object versions"] if removed else []


def _empty(client, name: str, budget: int) -> tuple[int, bool]:
    """Delete object versions and delete markers, a page at a time, until the budget
    is spent: (how many went, whether none is left).

    Each round lists from the start again rather than following the page marker: the
    keys before it are gone, and a restart cannot skip one."""
    removed = 0
    while True:
        page = client.list_object_versions(Bucket=name, MaxKeys=min(1000, budget))
        batch = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                 for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not batch:
            return removed, True
        if removed + len(batch) > budget:
            return removed, False
        delete_keys(client, name, batch)
        removed += len(batch)


def cut_off(client, name: str) -> list[str]:
    """A bucket that cannot be emptied (Object Lock, a policy denying the delete):
    made unreadable to everyone; lifecycle rules expire what the lock lets go."""
    return _cut_off(client, name)


def _cut_off(client, name: str) -> list[str]:
    """Nobody reads, writes or shares the data from now on (only deleting is left),
    and S3 itself expires what remains; each call is idempotent, so a later run may
    repeat them."""
    client.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True})
    arn = f"arn:aws:s3:::{name}"
    client.put_bucket_policy(Bucket=name, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "MonocyteCutOff", "Effect": "Deny", "Principal": "*",
                       "NotAction": FINISHING, "Resource": [arn, f"{arn}/*"]}]}))
    client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={
        "Rules": [{"ID": "monocyte-expire-everything", "Status": "Enabled",
                   "Filter": {"Prefix": ""},
                   "Expiration": {"Days": 1},
                   "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
                  {"ID": "monocyte-expire-delete-markers", "Status": "Enabled",
                   "Filter": {"Prefix": ""},
                   "Expiration": {"ExpiredObjectDeleteMarker": True}}]})
    return ["blocked public access", "denied all but deletion in the bucket policy",
            "set lifecycle rules that expire every version"]


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
                 "s3:DeleteBucket", "s3:PutBucketPublicAccessBlock", "s3:PutBucketPolicy",
                 "s3:PutLifecycleConfiguration"),
        not_found=("NoSuchBucket",),
        not_ready=("BucketNotEmpty", "OperationAborted"),
        # An Object Lock (retention, legal hold) refuses each locked version with
        # AccessDenied, and will for as long as the lock lasts: the bucket is cut off.
        lasting=("AccessDenied",),
        cut_off=cut_off,
    ),
)
